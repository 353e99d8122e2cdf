/* f0boot exit codes: one per kind of failure a user can meet (README, `f0boot --help`). */
#ifndef F0B_EXIT_CODES_H
#define F0B_EXIT_CODES_H

enum f0b_exit {
    F0B_EXIT_OK = 0,
    F0B_EXIT_INTERNAL = 1,     /* a bug or out of memory */
    F0B_EXIT_USAGE = 2,        /* bad command line */
    F0B_EXIT_INPUT_IO = 3,     /* input file cannot be read */
    F0B_EXIT_INPUT_FORMAT = 4, /* input file malformed (hex/elf/bin/container) */
    F0B_EXIT_LINT = 5,         /* image would not boot behind the bootloader (--force overrides) */
    F0B_EXIT_OUTPUT = 6,       /* output file cannot be written */
    F0B_EXIT_CONTAINER = 7,    /* container fails its CRC checks (info) */
    F0B_EXIT_PORT = 10,        /* port cannot be opened */
    F0B_EXIT_NO_ANSWER = 11,   /* no bootloader answered */
    F0B_EXIT_VERSION = 12,     /* bootloader speaks another protocol major version */
    F0B_EXIT_TRANSFER = 13,    /* transfer failed after retries */
    F0B_EXIT_REFUSED = 14,     /* device refused the image (reason printed) */
    F0B_EXIT_VERIFY = 15,      /* read-back check failed (verify: the device differs) */
    F0B_EXIT_EXPECT = 16,      /* --expect: the application did not print the text */
    F0B_EXIT_CHECK = 17,       /* check: the pre-flight run found pitfalls */
    F0B_EXIT_CHECK_RUN = 18,   /* check: the virtual board could not run it (f0sim or the
                                   bootloader missing, or f0sim does not model what it needs) */
    F0B_EXIT_MULTI_MIXED = 20, /* several boards (flash PORT... IMAGE) failed in different ways */
    F0B_EXIT_ABORTED = 130,    /* interrupted (SIGINT/SIGTERM): the device is left in its
                                 * bootloader, ready for the next update */
};

#endif
