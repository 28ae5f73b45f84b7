/* csv.c -- CSV rows appended as they are measured, atomic file replace. */
#include <errno.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"

int csv_write_field(FILE *f, const char *s) {
    if (s == NULL) s = "";
    if (strpbrk(s, ",\"\r\n") == NULL) return fputs(s, f) < 0 ? -1 : 0;
    if (fputc('"', f) == EOF) return -1;
    for (; *s; s++) {
        if (*s == '"' && fputc('"', f) == EOF) return -1;
        if (fputc(*s, f) == EOF) return -1;
    }
    return fputc('"', f) == EOF ? -1 : 0;
}

int csv_write_row(FILE *f, const char *const *fields, size_t n) {
    /* The row is built in memory and written at once; if the disk fills
     * part-way, the file is cut back to where the row began, so it never
     * ends in half a row that a later run would read as data. */
    char *row = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&row, &len);
    if (m == NULL) return -1;
    int bad = 0;
    for (size_t i = 0; i < n && !bad; i++) {
        if (i > 0 && fputc(',', m) == EOF) bad = 1;
        if (!bad && csv_write_field(m, fields[i]) != 0) bad = 1;
    }
    if (!bad && fputc('\n', m) == EOF) bad = 1;
    if (fclose(m) != 0) bad = 1;
    if (bad) {
        free(row);
        return -1;
    }
    if (fflush(f) != 0) {
        free(row);
        return -1;
    }
    off_t start = lseek(fileno(f), 0, SEEK_END);
    int ok = fwrite(row, 1, len, f) == len && fflush(f) == 0;
    free(row);
    if (ok) return 0;
    int saved = errno;
    __fpurge(f);
    clearerr(f);
    if (start >= 0 && ftruncate(fileno(f), start) != 0) {
        /* keep the first error: it says why the row was lost */
    }
    errno = saved;
    return -1;
}

int csv_split(char *line, char **fields, size_t max) {
    size_t n = 0;
    char *r = line, *w = line;

    for (;;) {
        if (n == max) return -1;
        fields[n++] = w;
        if (*r == '"') {
            /* Quoted: copy down over the quotes until the closing one. */
            for (r++;; r++) {
                if (*r == '\0') return -1;
                if (*r == '"') {
                    if (r[1] != '"') break;
                    r++;
                }
                *w++ = *r;
            }
            r++;
            if (*r != ',' && *r != '\0') return -1;
        } else {
            while (*r != ',' && *r != '\0')
                *w++ = *r++;
        }
        if (*r == '\0') {
            *w = '\0';
            return (int)n;
        }
        *w++ = '\0'; /* the comma: w never passes r, so this is safe */
        r++;
    }
}

FILE *csv_open_append(const char *path, const char *header, char *err, size_t errlen) {
    size_t hlen = strlen(header);
    char *first = NULL;
    FILE *f = fopen(path, "a+");
    long size;

    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0) goto io_error;
    if (size == 0) {
        if (fprintf(f, "%s\n", header) < 0 || fflush(f) != 0) goto io_error;
        return f;
    }
    /* Compare the existing header: "a+" reads from anywhere, and every
     * write still goes to the end. */
    first = malloc(hlen + 2);
    if (first == NULL) goto io_error;
    rewind(f);
    size_t got = fread(first, 1, hlen + 1, f);
    if (ferror(f)) goto io_error;
    if (got != hlen + 1 || memcmp(first, header, hlen) != 0 ||
        (first[hlen] != '\n' && first[hlen] != '\r')) {
        snprintf(err, errlen,
                 "%s: has other columns than this version writes; move it "
                 "away",
                 path);
        goto fail;
    }
    if (fseek(f, -1, SEEK_END) != 0) goto io_error;
    int last = fgetc(f);
    if (last == EOF && ferror(f)) goto io_error;
    if (fseek(f, 0, SEEK_END) != 0) goto io_error;
    if (last != '\n' && (fputc('\n', f) == EOF || fflush(f) != 0)) goto io_error;
    free(first);
    return f;

io_error:
    snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
fail:
    free(first);
    (void)fclose(f);
    return NULL;
}

int atomic_open(atomic_file *af, const char *path, char *err, size_t errlen) {
    size_t n = strlen(path);
    int fd = -1;

    memset(af, 0, sizeof *af);
    af->path = strdup(path);
    af->tmp = malloc(n + sizeof ".tmp.XXXXXX");
    if (af->path == NULL || af->tmp == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    memcpy(af->tmp, path, n);
    memcpy(af->tmp + n, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    fd = mkstemp(af->tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", af->tmp, strerror(errno));
        goto fail;
    }
    /* mkstemp makes the file 0600; results are for everyone to read. */
    if (fchmod(fd, 0644) != 0) {
        snprintf(err, errlen, "%s: %s", af->tmp, strerror(errno));
        (void)close(fd);
        (void)unlink(af->tmp);
        goto fail;
    }
    af->f = fdopen(fd, "w");
    if (af->f == NULL) {
        snprintf(err, errlen, "%s: %s", af->tmp, strerror(errno));
        (void)close(fd);
        (void)unlink(af->tmp);
        goto fail;
    }
    return 0;

fail:
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
    return -1;
}

int atomic_commit(atomic_file *af, char *err, size_t errlen) {
    int rc = -1;

    if (af->f == NULL) {
        snprintf(err, errlen, "atomic_commit: file not open");
        return -1;
    }
    /* fsync before rename: otherwise a crash may leave the new name
     * pointing at an empty file. */
    if (fflush(af->f) != 0 || fsync(fileno(af->f)) != 0) {
        snprintf(err, errlen, "%s: %s", af->tmp, strerror(errno));
        (void)fclose(af->f);
        goto cleanup;
    }
    if (fclose(af->f) != 0) {
        snprintf(err, errlen, "%s: %s", af->tmp, strerror(errno));
        goto cleanup;
    }
    if (rename(af->tmp, af->path) != 0) {
        snprintf(err, errlen, "%s: %s", af->path, strerror(errno));
        goto cleanup;
    }
    rc = 0;

cleanup:
    if (rc != 0) (void)unlink(af->tmp);
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
    return rc;
}

void atomic_abort(atomic_file *af) {
    if (af->f != NULL) {
        (void)fclose(af->f);
        (void)unlink(af->tmp);
    }
    free(af->path);
    free(af->tmp);
    memset(af, 0, sizeof *af);
}
