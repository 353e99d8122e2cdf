/* f0boot: command table, --help, --version. Each command is a cmd_*() in commands.h. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exit_codes.h"
#include "f0boot/container.h"

#ifndef F0B_VERSION
#define F0B_VERSION "0.0.0"
#endif

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *args;
    const char *help;
};

/* One line per command. */
static const struct command commands[] = {
    {"pack", cmd_pack,
     "IN [-o OUT] [--part P] [--version X.Y.Z[+B]] [--addr A] [--key K] [--force] [--json]",
     "turn an ELF, Intel HEX or raw binary into a CRC-stamped container (encrypted with --key)"},
    {"info", cmd_info, "FILE [--key K] [--json]",
     "print every header field of a container, check both CRCs"},
    {"flash", cmd_flash,
     "PORT IMAGE [--baud N] [--fast-baud N] [--skip-unchanged] [--no-boot] [--json]",
     "write an image through the bootloader, verify, commit and start it"},
    {"probe", cmd_probe, "PORT [--json]", "show what the bootloader on PORT reports (INFO)"},
    {"boot", cmd_boot, "PORT [--expect TEXT] [--json]", "start the committed application"},
    {"verify", cmd_verify, "PORT IMAGE [--json]",
     "compare the device's flash with an image (page CRCs), nothing written"},
    {"erase", cmd_erase, "PORT [--json]", "invalidate the application (erase the boot record)"},
    {"check", cmd_check, "IMAGE [--ms N] [--bootloader FILE] [--part P] [--force] [--json]",
     "run the image behind the real bootloader on the virtual board, name the pitfalls"},
    {"ports", cmd_ports, "[--json]",
     "list serial ports with their USB ids, serial and by-id names"},
    {"protect", cmd_protect, "PORT --yes [--json]",
     "set read-out protection level 1 through the secure bootloader (level 1 -> 0 erases the chip)"},
    {"keygen", cmd_keygen, "-o FILE [--json]",
     "write a new random product key for encrypted images (pack --key)"},
};

/* The codes of exit_codes.h, as --help explains them. */
static const struct {
    int code;
    const char *what;
} exit_help[] = {
    {F0B_EXIT_OK, "success"},
    {F0B_EXIT_INTERNAL, "internal error (a bug, or out of memory)"},
    {F0B_EXIT_USAGE, "bad command line"},
    {F0B_EXIT_INPUT_IO, "input file cannot be read"},
    {F0B_EXIT_INPUT_FORMAT, "input file malformed (hex/elf/bin/container)"},
    {F0B_EXIT_LINT, "image would not boot behind the bootloader (--force overrides)"},
    {F0B_EXIT_OUTPUT, "output file cannot be written"},
    {F0B_EXIT_CONTAINER, "container fails its CRC or field checks (info)"},
    {F0B_EXIT_PORT, "port cannot be opened"},
    {F0B_EXIT_NO_ANSWER, "no bootloader answered"},
    {F0B_EXIT_VERSION, "bootloader speaks another protocol major version"},
    {F0B_EXIT_TRANSFER, "transfer failed after retries"},
    {F0B_EXIT_REFUSED, "device refused the image (reason printed)"},
    {F0B_EXIT_VERIFY, "read-back check failed (verify: the device differs from the image)"},
    {F0B_EXIT_EXPECT, "--expect: the application did not print the text in time"},
    {F0B_EXIT_CHECK, "check: the run behind the bootloader found pitfalls (named, with the fix)"},
    {F0B_EXIT_CHECK_RUN,
     "check: the virtual board could not run the image (what is missing is printed)"},
    {F0B_EXIT_MULTI_MIXED,
     "several boards failed in different ways (each board's code is in the summary)"},
    {F0B_EXIT_ABORTED, "interrupted (Ctrl-C, SIGTERM); the device stays in its bootloader"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void usage(FILE *f)
{
    fprintf(f, "f0boot %s - serial bootloader toolchain for STM32F0\n\n", F0B_VERSION);
    fprintf(f, "usage: f0boot COMMAND [ARGS]    (f0boot COMMAND --help for details)\n");
    fprintf(f, "       f0boot --help | --version\n\ncommands:\n");
    for (size_t i = 0; i < COUNT(commands); i++)
        fprintf(f, "  %-7s %s\n          %s\n", commands[i].name, commands[i].args,
                commands[i].help);
    fprintf(f, "\nenvironment: F0BOOT_PORT (PORT when none is given), F0BOOT_BAUD (--baud),\n"
               "  F0BOOT_FAST_BAUD (--fast-baud); options on the command line win\n");
    fprintf(f, "\nexit codes:\n");
    for (size_t i = 0; i < COUNT(exit_help); i++)
        fprintf(f, "  %3d  %s\n", exit_help[i].code, exit_help[i].what);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return F0B_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return F0B_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("f0boot %s (container format v%u)\n", F0B_VERSION, F0B_IMG_HDR_VERSION);
        return F0B_EXIT_OK;
    }
    for (size_t i = 0; i < COUNT(commands); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "f0boot: unknown command '%s'; run `f0boot --help` for the list\n", argv[1]);
    return F0B_EXIT_USAGE;
}
