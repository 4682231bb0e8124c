/*
 * inspect_model.c -- the report's functions (see inspect.h): one per
 * machine, the structs whose layout it needs, and the layouts taken in.
 */
#include "inspect.h"

#include <stdlib.h>
#include <string.h>

void ac_inspect_init(ac_inspect *ins, ac_unit *u) {
    memset(ins, 0, sizeof *ins);
    ins->u = u;
    ins->nfuncs = u->nfuncs;
    ins->funcs = ac_xmalloc((u->nfuncs ? u->nfuncs : 1) * sizeof *ins->funcs);
    for (unsigned i = 0; i < u->nfuncs; i++) {
        ac_insp_func *F = &ins->funcs[i];
        memset(F, 0, sizeof *F);
        F->m = u->funcs[i]->machine;
        F->size = F->align = F->unshared = -1;
        F->locals =
            ac_arena_alloc(&u->arena, (F->m->nlocals + 1) * sizeof *F->locals);
        for (unsigned k = 0; k < F->m->nlocals; k++) {
            F->locals[k].size = -1;
            F->uncounted += F->m->locals[k].decl == NULL;
        }
    }
}

void ac_inspect_free(ac_inspect *ins) {
    free(ins->funcs);
    ins->funcs = NULL;
    ins->nfuncs = 0;
}

/* --- the unshared frame ---------------------------------------------- */

static const char *unshared_name(ac_unit *u, const ac_machine *m) {
    return ac_arena_printf(&u->arena, "asyncc_inspect__%s", m->name);
}

static const char *local_member(ac_unit *u, unsigned k) {
    return ac_arena_printf(&u->arena, "l%u", k);
}

/* A member with the type of a member of the real frame, which may be
 * unnamed: __typeof__ copies it. */
static void put_typeof(ac_buf *out, const ac_machine *m, const char *path,
                       const char *name) {
    ac_buf_printf(out, "    __typeof__(((struct %s__frame *)0)->%s) %s;\n",
                  m->name, path, name);
}

void ac_inspect_unshared_code(ac_inspect *ins, ac_buf *code) {
    ac_unit *u = ins->u;
    ac_buf_puts(code, "\n/* asyncc --inspect: each frame with every "
                      "parameter and local kept, no child frame shared */\n");
    for (unsigned i = 0; i < ins->nfuncs; i++) {
        const ac_machine *m = ins->funcs[i].m;
        ac_buf_printf(code, "struct %s {\n    int _state;\n",
                      unshared_name(u, m));
        for (unsigned k = 0; k < m->nlocals; k++) {
            if (!m->locals[k].decl)
                continue;
            ac_buf_puts(code, "    ");
            ac_machine_put_decl(code, m->locals[k].decl, local_member(u, k));
            ac_buf_puts(code, ";\n");
        }
        for (unsigned k = 0; k < m->nfields; k++)
            if (m->fields[k].kind == AC_FIELD_TIMEOUT ||
                m->fields[k].kind == AC_FIELD_TIMEOUT_ERR ||
                m->fields[k].kind == AC_FIELD_DEFER)
                put_typeof(code, m, m->fields[k].name, m->fields[k].name);
        /* The _aw union's members, all at once: a slot, or a group. */
        for (unsigned k = 0; k < m->nslots; k++) {
            const ac_slot *s = &m->slots[k];
            if (s->group && k && m->slots[k - 1].group == s->group)
                continue;
            const char *member =
                s->group ? ac_arena_printf(&u->arena, "g%u", s->group)
                         : s->name;
            put_typeof(code, m, ac_arena_printf(&u->arena, "_aw.%s", member),
                       ac_arena_printf(&u->arena, "aw_%s", member));
        }
        for (unsigned k = 0; k < m->nfields; k++)
            if (m->fields[k].kind == AC_FIELD_RESULT)
                put_typeof(code, m, "_ret", "_ret");
        ac_buf_puts(code, "};\n");
    }
}

/* --- layouts --------------------------------------------------------- */

ac_layout *ac_inspect_layouts(const ac_inspect *ins, unsigned *n) {
    ac_unit *u = ins->u;
    *n = 2 * ins->nfuncs;
    ac_layout *l = ac_arena_alloc(&u->arena, (*n + 1) * sizeof *l);
    for (unsigned i = 0; i < ins->nfuncs; i++) {
        const ac_machine *m = ins->funcs[i].m;
        l[2 * i].name = ac_arena_printf(&u->arena, "%s__frame", m->name);
        l[2 * i + 1].name = unshared_name(u, m);
    }
    return l;
}

int ac_inspect_use_layouts(ac_inspect *ins, const ac_layout *l) {
    ac_unit *u = ins->u;
    for (unsigned i = 0; i < ins->nfuncs; i++) {
        ac_insp_func *F = &ins->funcs[i];
        const ac_layout *frame = &l[2 * i], *all = &l[2 * i + 1];
        if (frame->size < 0) {
            ac_diag_plain(AC_DIAG_ERROR,
                          "cannot lay out struct %s: libclang "
                          "gives no size for it",
                          frame->name);
            return -1;
        }
        F->size = frame->size;
        F->align = frame->align;
        F->unshared = all->size;
        for (unsigned k = 0; k < F->m->nlocals; k++) {
            const ac_layout_field *lf =
                ac_layout_find(all->fields, all->nfields, local_member(u, k));
            if (lf) {
                F->locals[k].type = lf->type;
                F->locals[k].size = lf->size;
            }
        }
        ac_inspect_fields(u, F, frame);
    }
    return 0;
}
