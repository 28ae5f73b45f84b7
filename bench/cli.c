/* cli.c -- the cfbench commands' option parser and value parsers. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Digits only, with at most one leading '-': strtol alone would accept
 * leading spaces, '+' and trailing junk after a number. */
static int all_digits(const char *s) {
    if (*s == '-') s++;
    if (*s == '\0') return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

int cli_parse_long(const char *opt, const char *s, long min, long max, long *out, char *err,
                   size_t errlen) {
    if (s == NULL || *s == '\0') {
        snprintf(err, errlen, "%s: missing value", opt);
        return -1;
    }
    if (!all_digits(s)) {
        snprintf(err, errlen, "%s: '%s' is not a whole number", opt, s);
        return -1;
    }
    errno = 0;
    long v = strtol(s, NULL, 10);
    if (errno == ERANGE || v < min || v > max) {
        snprintf(err, errlen, "%s: '%s' is out of range (%ld..%ld)", opt, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_long_list(const char *opt, const char *s, long min, long max, long *out, size_t *n,
                        char *err, size_t errlen) {
    char item[32];
    size_t count = 0;
    const char *p = s;

    if (s == NULL || *s == '\0') {
        snprintf(err, errlen, "%s: missing value", opt);
        return -1;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0) {
            snprintf(err, errlen, "%s: empty item in list '%s'", opt, s);
            return -1;
        }
        if (len >= sizeof item) {
            snprintf(err, errlen, "%s: item '%.*s' is not a whole number", opt,
                     (int)(len > 40 ? 40 : len), p);
            return -1;
        }
        if (count == CLI_LIST_MAX) {
            snprintf(err, errlen, "%s: more than %d items", opt, CLI_LIST_MAX);
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        long v;
        if (cli_parse_long(opt, item, min, max, &v, err, errlen) != 0) return -1;
        for (size_t k = 0; k < count; k++) {
            if (out[k] == v) {
                snprintf(err, errlen, "%s: %ld appears twice in '%s'", opt, v, s);
                return -1;
            }
        }
        out[count++] = v;
        if (comma == NULL) break;
        p = comma + 1;
    }
    *n = count;
    return 0;
}

int cli_parse_size(const char *opt, const char *s, unsigned long long min, unsigned long long max,
                   unsigned long long *out, char *err, size_t errlen) {
    const char *p = s;
    unsigned long long v = 0, mult = 1;

    if (s == NULL || *s == '\0') {
        snprintf(err, errlen, "%s: missing value", opt);
        return -1;
    }
    if (*p == '-') {
        snprintf(err, errlen, "%s: '%s' is negative", opt, s);
        return -1;
    }
    if (*p < '0' || *p > '9') goto malformed;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (ULLONG_MAX - 9) / 10) goto range;
        v = v * 10 + (unsigned)(*p - '0');
    }
    switch (*p) {
    case 'k':
    case 'K':
        mult = 1ull << 10;
        p++;
        break;
    case 'm':
    case 'M':
        mult = 1ull << 20;
        p++;
        break;
    case 'g':
    case 'G':
        mult = 1ull << 30;
        p++;
        break;
    default: break;
    }
    if (mult > 1 && (p[0] == 'i' || p[0] == 'I') && (p[1] == 'B' || p[1] == 'b'))
        p += 2;
    else if (p[0] == 'B' || p[0] == 'b')
        p++;
    if (*p != '\0') goto malformed;
    if (v > ULLONG_MAX / mult) goto range;
    v *= mult;
    if (v < min || v > max) goto range;
    *out = v;
    return 0;

malformed:
    snprintf(err, errlen, "%s: '%s' is not a size (like 512, 64K, 2M)", opt, s);
    return -1;
range:
    snprintf(err, errlen, "%s: '%s' is out of range (%llu..%llu bytes)", opt, s, min, max);
    return -1;
}

/* "a, b, c" for an error message. */
static void list_choices(const char *const *choices, int allow_all, char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; choices[i] != NULL && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", choices[i]);
        if (w < 0) return;
        used += (size_t)w;
    }
    if (allow_all && used < len) snprintf(buf + used, len - used, ", all");
}

int cli_parse_choices(const char *opt, const char *s, const char *const *choices, int allow_all,
                      unsigned *mask, char *err, size_t errlen) {
    char names[256];
    unsigned m = 0;
    const char *p = s;

    if (s == NULL || *s == '\0') {
        snprintf(err, errlen, "%s: missing value", opt);
        return -1;
    }
    if (allow_all && strcmp(s, "all") == 0) {
        for (size_t i = 0; choices[i] != NULL; i++)
            m |= 1u << i;
        *mask = m;
        return 0;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        size_t i;
        if (len == 0) {
            snprintf(err, errlen, "%s: empty item in list '%s'", opt, s);
            return -1;
        }
        for (i = 0; choices[i] != NULL; i++)
            if (strlen(choices[i]) == len && strncmp(choices[i], p, len) == 0) break;
        if (choices[i] == NULL) {
            list_choices(choices, allow_all, names, sizeof names);
            snprintf(err, errlen, "%s: unknown value '%.*s' (choose from %s)", opt,
                     (int)(len > 40 ? 40 : len), p, names);
            return -1;
        }
        m |= 1u << i;
        if (comma == NULL) break;
        p = comma + 1;
    }
    *mask = m;
    return 0;
}

/* The exact match among choices, its index in *out; "" is a missing value. */
static int parse_one_of(const char *opt, const char *s, const char *const *choices, int *out,
                        char *err, size_t errlen) {
    char names[256];
    if (*s == '\0') {
        snprintf(err, errlen, "%s: missing value", opt);
        return -1;
    }
    for (int i = 0; choices[i] != NULL; i++) {
        if (strcmp(choices[i], s) == 0) {
            *out = i;
            return 0;
        }
    }
    list_choices(choices, 0, names, sizeof names);
    snprintf(err, errlen, "%s: unknown value '%.40s' (choose from %s)", opt, s, names);
    return -1;
}

int cli_bad_usage(const char *command, const char *msg) {
    fprintf(stderr, "cfbench %s: %s\n", command, msg);
    return 2;
}

/* The option argv[*i] names, or NULL: "--name" or "--name=value". */
static const cli_option *find_option(const cli_option *opts, const char *arg) {
    for (const cli_option *o = opts; o->name != NULL; o++) {
        size_t n = strlen(o->name);
        if (strncmp(arg, o->name, n) == 0 && (arg[n] == '\0' || arg[n] == '=')) return o;
    }
    return NULL;
}

/* Options come as "--name value" or "--name=value". Stores option o's value
 * (argv[*i] names it) in *val and advances *i past what it used; returns
 * -1 with err set if the value is missing (end of argv, "--name=", or a
 * next word that is an option). */
static int take_value(int argc, char **argv, int *i, const char *name, const char **val,
                      char *err, size_t errlen) {
    const char *arg = argv[*i];
    size_t n = strlen(name);

    if (arg[n] == '=') {
        if (arg[n + 1] == '\0') {
            snprintf(err, errlen, "%s: missing value", name);
            return -1;
        }
        *val = arg + n + 1;
        *i += 1;
        return 0;
    }
    /* "--workers --quiet" means the value was forgotten, not that it is
     * "--quiet"; negative numbers still get through as "-1". */
    if (*i + 1 >= argc || strncmp(argv[*i + 1], "--", 2) == 0) {
        snprintf(err, errlen, "%s: missing value", name);
        return -1;
    }
    *val = argv[*i + 1];
    *i += 2;
    return 0;
}

/* Stores val, the value of option o, where o says. Returns 0, or -1 with err. */
static int set_value(const cli_option *o, const char *val, char *err, size_t errlen) {
    switch (o->kind) {
    case CLI_LONG: return cli_parse_long(o->name, val, o->min, o->max, o->dest, err, errlen);
    case CLI_LONGS:
        return cli_parse_long_list(o->name, val, o->min, o->max, o->dest, o->count, err, errlen);
    case CLI_SIZE:
        return cli_parse_size(o->name, val, (unsigned long long)o->min,
                              (unsigned long long)o->max, o->dest, err, errlen);
    case CLI_CHOICES: return cli_parse_choices(o->name, val, o->choices, 1, o->dest, err, errlen);
    case CLI_ONE_OF: return parse_one_of(o->name, val, o->choices, o->dest, err, errlen);
    case CLI_IPV4:
        if (inet_pton(AF_INET, val, &(struct in_addr){0}) != 1) {
            snprintf(err, errlen, "%s: '%.60s' is not an IPv4 address", o->name, val);
            return -1;
        }
        *(const char **)o->dest = val;
        return 0;
    case CLI_TEXT: *(const char **)o->dest = val; return 0;
    case CLI_CALL: return o->call(o->dest, o->name, val, err, errlen);
    case CLI_FLAG:
    case CLI_STOP: break;
    }
    snprintf(err, errlen, "%s: takes no value", o->name);
    return -1;
}

/* Takes argv[*i], an option, and what value it has; advances *i. Returns 0,
 * 1 for a CLI_STOP option (read no further), or -1 with err set. */
static int take_option(const cli_option *opts, int argc, char **argv, int *i, char *err,
                       size_t errlen) {
    const char *arg = argv[*i], *val;
    const cli_option *o = find_option(opts, arg);

    if (o == NULL) {
        snprintf(err, errlen, "unknown option '%.60s' (try --help)", arg);
        return -1;
    }
    if (o->kind == CLI_FLAG || o->kind == CLI_STOP) {
        if (arg[strlen(o->name)] == '=') {
            snprintf(err, errlen, "%s: takes no value", o->name);
            return -1;
        }
        *(int *)o->dest = 1;
        *i += 1;
        return o->kind == CLI_STOP;
    }
    if (take_value(argc, argv, i, o->name, &val, err, errlen) != 0) return -1;
    return set_value(o, val, err, errlen);
}

int cli_parse(const cli_command *cmd, int argc, char **argv, int *status) {
    char err[512];
    size_t nops = 0;

    for (int i = 1; i < argc;) {
        const char *arg = argv[i];
        int r = 0;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            cmd->usage(stdout);
            *status = 0;
            return 1;
        }
        if (strncmp(arg, "--help=", 7) == 0) {
            snprintf(err, sizeof err, "--help: takes no value");
            r = -1;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            r = take_option(cmd->options, argc, argv, &i, err, sizeof err);
            if (r > 0) return 0;
        } else if (nops < cmd->max_operands) {
            cmd->operands[nops++] = arg;
            i++;
        } else {
            snprintf(err, sizeof err, "unexpected argument '%.60s'%s", arg,
                     cmd->too_many ? cmd->too_many : " (try --help)");
            r = -1;
        }
        if (r < 0) {
            *status = cli_bad_usage(cmd->name, err);
            return 1;
        }
    }
    return 0;
}
