/* The library f0boot and f0sim share (cli/common, f0b_cliutil): safe text and JSON strings
 * for every kind of malformed UTF-8, and the file helpers on what is not a regular file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "esc.h"
#include "exit_codes.h"
#include "json.h"
#include "util.h"

/* What esc_text() or json_str() writes for s. */
static char *render(int json, const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);

    assert_non_null(f);
    if (json) {
        struct json j;
        json_begin(&j, f);
        json_str(&j, "k", s);
        json_end(&j);
    } else {
        esc_text(f, s);
    }
    fclose(f);
    return buf;
}

static void text_and_json(void **state)
{
    static const struct {
        const char *in, *text, *json;
    } c[] = {
        {"plain ascii", "plain ascii", "{\"k\":\"plain ascii\"}\n"},
        {"caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80",
         "{\"k\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}\n"},
        {"\x1b[31m", "\\x1b[31m", "{\"k\":\"\\u001b[31m\"}\n"},
        {"a\x7f"
         "b",
         "a\\x7fb", "{\"k\":\"a\\u007fb\"}\n"},
        {"\xc2\x9b"
         "2J",
         "\\xc2\\x9b2J", "{\"k\":\"\\u009b2J\"}\n"},                                /* C1 CSI */
        {"\xc0\xaf", "\\xc0\\xaf", "{\"k\":\"\\\\xc0\\\\xaf\"}\n"},                 /* overlong */
        {"\xed\xa0\x80", "\\xed\\xa0\\x80", "{\"k\":\"\\\\xed\\\\xa0\\\\x80\"}\n"}, /* surrogate */
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
         "{\"k\":\"\\\\xf4\\\\x90\\\\x80\\\\x80\"}\n"},                /* past U+10FFFF */
        {"x\xe2\x82", "x\\xe2\\x82", "{\"k\":\"x\\\\xe2\\\\x82\"}\n"}, /* cut short */
        {"q\"\\", "q\"\\", "{\"k\":\"q\\\"\\\\\"}\n"},
        {"tab\tnl\n", "tab\tnl\n", "{\"k\":\"tab\\u0009nl\\u000a\"}\n"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *t = render(0, c[i].in), *j = render(1, c[i].in);
        if (strcmp(t, c[i].text) != 0 || strcmp(j, c[i].json) != 0)
            fail_msg("case %zu: text \"%s\" (want \"%s\"), json %s (want %s)", i, t, c[i].text, j,
                     c[i].json);
        free(t);
        free(j);
    }
}

static void files_not_regular(void **state)
{
    char dir[] = "/tmp/f0b-cliutil-XXXXXX", p[128], msg[512];
    uint8_t *buf;
    size_t len;
    (void)state;

    assert_non_null(mkdtemp(dir));
    assert_int_equal(cli_read_file(dir, &buf, &len, msg, sizeof msg), F0B_EXIT_INPUT_IO);
    assert_non_null(strstr(msg, "is a directory, not a regular file"));
    assert_int_equal(cli_write_file(dir, (const uint8_t *)"x", 1, msg, sizeof msg),
                     F0B_EXIT_OUTPUT);
    assert_non_null(strstr(msg, "it is a directory"));
    snprintf(p, sizeof p, "%s/dangling", dir);
    assert_int_equal(symlink("missing", p), 0);
    assert_int_equal(cli_write_file(p, (const uint8_t *)"x", 1, msg, sizeof msg), F0B_EXIT_OUTPUT);
    assert_non_null(strstr(msg, "symbolic link to nothing"));
    unlink(p);
    snprintf(p, sizeof p, "%s/new", dir);
    assert_int_equal(cli_write_file(p, (const uint8_t *)"abc", 3, msg, sizeof msg), 0);
    assert_int_equal(cli_read_file(p, &buf, &len, msg, sizeof msg), 0);
    assert_int_equal(len, 3);
    assert_memory_equal(buf, "abc", 3);
    free(buf);
    unlink(p);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_and_json),
        cmocka_unit_test(files_not_regular),
    };
    return cmocka_run_group_tests_name("cliutil", tests, NULL, NULL);
}
