/* The f0boot commands; each returns an enum f0b_exit code. argv[0] is the command name. */
#ifndef F0B_COMMANDS_H
#define F0B_COMMANDS_H

int cmd_pack(int argc, char **argv);    /* cmd_image.c */
int cmd_info(int argc, char **argv);    /* cmd_image.c */
int cmd_flash(int argc, char **argv);   /* cmd_flash.c */
int cmd_probe(int argc, char **argv);   /* cmd_flash.c */
int cmd_boot(int argc, char **argv);    /* cmd_flash.c */
int cmd_keygen(int argc, char **argv);  /* cmd_key.c */
int cmd_protect(int argc, char **argv); /* cmd_probe.c */
int cmd_ports(int argc, char **argv);   /* cmd_ports.c */
int cmd_verify(int argc, char **argv);  /* cmd_verify.c */
int cmd_erase(int argc, char **argv);   /* cmd_verify.c */
int cmd_check(int argc, char **argv);   /* cmd_check.c */

#endif
