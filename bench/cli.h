/* cli.h -- the cfbench commands' option parser: one table of options per
 * command, and strict parsing of each value.
 *
 * Every value parser takes the option's name (for the message), the text given,
 * and a message buffer. It returns 0 and stores the value, or -1 with one
 * line in err (no trailing newline) naming the option and what is wrong:
 * "--workers: '0' is out of range (1..1024)"; they neither print nor
 * exit. A value is taken whole: "4x", " 4", "+4", "", "0x10" and "1e3"
 * are all malformed. cli_parse() reads a command's whole line with them
 * and prints its one usage error (cli_bad_usage) itself.
 */
#ifndef BENCH_CLI_H
#define BENCH_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Longest list cli_parse_long_list() accepts. */
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

/* A command's options, one entry each, read by cli_parse(): the option's
 * name, what kind of value it takes and where the value goes, its bounds.
 * The value of a later occurrence replaces an earlier one's. */
typedef enum cli_kind {
    CLI_FLAG,    /* no value: *(int *)dest = 1 */
    CLI_STOP,    /* no value: *(int *)dest = 1, and the words after it are not read
                    (as --help: `demo --list`) */
    CLI_LONG,    /* cli_parse_long() in [min, max] into *(long *)dest */
    CLI_LONGS,   /* cli_parse_long_list() in [min, max] into (long *)dest, its
                    length into *count */
    CLI_SIZE,    /* cli_parse_size() in [min, max] bytes into *(unsigned long long *)dest */
    CLI_CHOICES, /* cli_parse_choices() of choices, "all" allowed, into *(unsigned *)dest */
    CLI_ONE_OF,  /* exactly one of choices: its index into *(int *)dest */
    CLI_TEXT,    /* the value as given (an argv string) into *(const char **)dest */
    CLI_IPV4,    /* a dotted IPv4 address, as given, into *(const char **)dest */
    CLI_CALL,    /* call(dest, name, value, err, errlen): 0, or -1 with err set */
} cli_kind;

typedef struct cli_option {
    const char *name; /* "--workers"; NULL ends the table */
    cli_kind kind;
    void *dest;
    long min, max;              /* CLI_LONG, CLI_LONGS, CLI_SIZE */
    const char *const *choices; /* CLI_CHOICES, CLI_ONE_OF: NULL-terminated */
    size_t *count;              /* CLI_LONGS */
    int (*call)(void *dest, const char *opt, const char *val, char *err, size_t errlen);
} cli_option;

/* The table's entries, one macro a kind, so that each says what it needs
 * and the compiler checks dest's type; CLI_OPT_END closes the table. */
#define CLI_TYPED_(type, p) (1 ? (p) : (type)0)
#define CLI_OPT_FLAG(n, d) {.name = (n), .kind = CLI_FLAG, .dest = CLI_TYPED_(int *, d)}
#define CLI_OPT_STOP(n, d) {.name = (n), .kind = CLI_STOP, .dest = CLI_TYPED_(int *, d)}
#define CLI_OPT_LONG(n, d, lo, hi)                                                                 \
    {.name = (n), .kind = CLI_LONG, .dest = CLI_TYPED_(long *, d), .min = (lo), .max = (hi)}
#define CLI_OPT_LONGS(n, d, cnt, lo, hi)                                                           \
    {.name = (n), .kind = CLI_LONGS, .dest = CLI_TYPED_(long *, d), .min = (lo), .max = (hi),     \
     .count = (cnt)}
#define CLI_OPT_SIZE(n, d, lo, hi)                                                                 \
    {.name = (n), .kind = CLI_SIZE, .dest = CLI_TYPED_(unsigned long long *, d), .min = (lo),     \
     .max = (hi)}
#define CLI_OPT_CHOICES(n, d, ch)                                                                  \
    {.name = (n), .kind = CLI_CHOICES, .dest = CLI_TYPED_(unsigned *, d), .choices = (ch)}
#define CLI_OPT_ONE_OF(n, d, ch)                                                                   \
    {.name = (n), .kind = CLI_ONE_OF, .dest = CLI_TYPED_(int *, d), .choices = (ch)}
#define CLI_OPT_TEXT(n, d) {.name = (n), .kind = CLI_TEXT, .dest = CLI_TYPED_(const char **, d)}
#define CLI_OPT_IPV4(n, d) {.name = (n), .kind = CLI_IPV4, .dest = CLI_TYPED_(const char **, d)}
#define CLI_OPT_CALL(n, d, fn) {.name = (n), .kind = CLI_CALL, .dest = (d), .call = (fn)}
#define CLI_OPT_END {.name = NULL}

/* A command's whole line: its name (messages start "cfbench NAME: "), its
 * --help text, its options, and the words that are not options (operands,
 * like compare's A B): at most max_operands of them, stored in order in
 * operands[] (which the caller fills with NULL first); one more is refused
 * as "unexpected argument 'WORD'" followed by too_many (NULL: " (try
 * --help)"). */
typedef struct cli_command {
    const char *name;
    void (*usage)(FILE *to);
    const cli_option *options;
    const char **operands;
    size_t max_operands;
    const char *too_many;
} cli_command;

/* Reads argv[1..argc) (argv[0] is the command's name) against cmd's
 * table. Options come as "--name value" or "--name=value"; a value that
 * starts with "--" is taken as a forgotten value ("--workers --quiet"), a
 * lone "-" as an operand. Returns 0 when every word was taken and the
 * command goes on; returns 1 when it is to end at once with exit status
 * *status: 0 after "-h" or "--help" printed cmd->usage on stdout, 2 after
 * one line from cli_bad_usage(): an unknown option, a flag given a value,
 * a missing or bad value, one operand too many. */
int cli_parse(const cli_command *cmd, int argc, char **argv, int *status);

/* The usage error: prints "cfbench COMMAND: MSG" on stderr and returns 2,
 * the exit status of a bad command line. */
int cli_bad_usage(const char *command, const char *msg);

#endif
