/* fuzz_filename.c -- libFuzzer target for dl_file_name(), the rule that
 * turns a URL into the name a download is saved under.
 *
 * Whatever the URL, a name that passes must be one plain entry of the
 * output folder: 1..DL_NAME_MAX bytes, no '/', '\\', NUL or control
 * character, not "." or "..", with an extension (a '.' neither first nor
 * last). A refusal must come with a one-line reason. Build: `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../workloads/download.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *url = malloc(size + 1);
    char name[DL_NAME_MAX + 1], err[128];

    if (url == NULL) return 0;
    memcpy(url, data, size);
    url[size] = '\0'; /* a URL is a C string: stop at the first NUL */
    memset(name, 0x55, sizeof name);
    memset(err, 0, sizeof err);
    if (dl_file_name(url, name, err, sizeof err) == 0) {
        size_t len = strnlen(name, sizeof name);
        if (len == 0 || len > DL_NAME_MAX) abort();
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)name[i];
            if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) abort();
        }
        if (!strcmp(name, ".") || !strcmp(name, "..")) abort();
        const char *dot = strrchr(name, '.');
        if (dot == NULL || dot == name || dot[1] == '\0') abort();
    } else {
        size_t elen = strnlen(err, sizeof err);
        if (elen == 0 || elen == sizeof err || memchr(err, '\n', elen)) abort();
    }
    free(url);
    return 0;
}
