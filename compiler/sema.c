/* sema.c - placeholder replaced by the semantic analysis. */
#include "compiler.h"

bool sema_run(Compilation *c, Module *main) { return c->diags.errors == 0; }
