/* cli.h -- strict parsing of option values for the cfbench subcommands.
 *
 * Every parser takes the option's name (for the message), the text given,
 * and a message buffer. It returns 0 and stores the value, or -1 with one
 * line in err (no trailing newline) naming the option and what is wrong:
 * "--workers: '0' is out of range (1..1024)". Nothing here prints or
 * exits; the caller prints err and returns exit status 2. A value is taken
 * whole: "4x", " 4", "+4", "", "0x10" and "1e3" are all malformed.
 */
#ifndef BENCH_CLI_H
#define BENCH_CLI_H

#include <stddef.h>

/* Longest list cli_parse_int_list() and cli_split_list() accept. */
#define CLI_LIST_MAX 64

/* Parses a decimal integer in [min, max] into *out. A leading '-' is read
 * so that a negative value is reported as out of range, not as garbage. */
int cli_parse_long(const char *opt, const char *s, long min, long max, long *out, char *err,
                   size_t errlen);

/* Parses "1,2,4,8": at most CLI_LIST_MAX integers in [min, max], stored in
 * out[0..*n). Empty items ("1,,2", "4,") are malformed; duplicates are
 * refused so that a sweep never measures one point twice by accident. */
int cli_parse_long_list(const char *opt, const char *s, long min, long max, long *out, size_t *n,
                        char *err, size_t errlen);

/* Parses a byte size: digits then an optional K, M or G (powers of 1024,
 * upper or lower case, optional "iB"/"B"), within [min, max] bytes. */
int cli_parse_size(const char *opt, const char *s, unsigned long long min, unsigned long long max,
                   unsigned long long *out, char *err, size_t errlen);

/* Splits a comma-separated list of names and checks each against
 * choices[] (NULL-terminated). The word "all", when allow_all is set,
 * stands alone for every choice. Sets bit i of *mask for choices[i].
 * Unknown or empty names are errors and the message lists the choices. */
int cli_parse_choices(const char *opt, const char *s, const char *const *choices, int allow_all,
                      unsigned *mask, char *err, size_t errlen);

/* Options come as "--name value" or "--name=value". If argv[*i] is option
 * `name` taking a value, stores the value in *val, advances *i past what
 * it used and returns 1; returns 0 if argv[*i] is another option; returns
 * -1 with err set if the value is missing (end of argv, or "--name="). */
int cli_take_value(int argc, char **argv, int *i, const char *name, const char **val, char *err,
                   size_t errlen);

#endif
