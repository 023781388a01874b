/* The subcommands of the moonsip program. */
#ifndef MS_CMD_H
#define MS_CMD_H

int ms_cmd_parse(int argc, char **argv);
int ms_cmd_run(int argc, char **argv);
int ms_cmd_check(int argc, char **argv);
int ms_cmd_location(int argc, char **argv);
int ms_cmd_user(int argc, char **argv);

#endif
