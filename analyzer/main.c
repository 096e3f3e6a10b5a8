/* The atoll command's entry point; cli.c holds the commands. */
#include "analyzer.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
