/* version.c -- the version of the library actually linked. */
#include "cfutures.h"

const char *cf_version(void) {
    return CF_VERSION_STRING;
}
