/* The state machine as a data structure (machine.h): one built by hand,
 * without libclang, passes the verifier and reads back through the
 * report; each broken invariant is caught; and every machine the lowering
 * builds for the corpus and the samples passes the verifier. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "inspect.h"
#include "transpile.h"

#include <dirent.h>
#include <stdio.h>

/* --- a machine by hand ------------------------------------------------ */

/*
 * async int f(int n) {
 *     int a = await(g(n)) + await(g(n));   states 1, 2: one group
 *     return a + await(h());                state 3
 * }
 */
static unsigned one[] = {1}, two[] = {2}, three[] = {3}, both[] = {1, 2};

static ac_state states[] = {
    {.id = 1,
     .kind = AC_STATE_AWAIT,
     .line = 2,
     .col = 13,
     .text = "await(g(n))",
     .callee = "g",
     .slot = 0},
    {.id = 2,
     .kind = AC_STATE_AWAIT,
     .line = 2,
     .col = 29,
     .text = "await(g(n))",
     .callee = "g",
     .slot = 1},
    {.id = 3,
     .kind = AC_STATE_AWAIT,
     .line = 3,
     .col = 16,
     .text = "await(h())",
     .callee = "h",
     .slot = 2},
};

static ac_slot slots[] = {
    {.kind = AC_SLOT_FRAME,
     .name = "a1",
     .path = "_aw.g1.a1",
     .group = 1,
     .state = 1,
     .decl = "struct g__frame %s",
     .callee = "g",
     .line = 2,
     .states = one,
     .nstates = 1},
    {.kind = AC_SLOT_FRAME,
     .name = "a2",
     .path = "_aw.g1.a2",
     .group = 1,
     .state = 2,
     .decl = "struct g__frame %s",
     .callee = "g",
     .line = 2,
     .states = two,
     .nstates = 1},
    {.kind = AC_SLOT_FRAME,
     .name = "a3",
     .path = "_aw.a3",
     .state = 3,
     .decl = "struct h__frame %s",
     .callee = "h",
     .line = 3,
     .states = three,
     .nstates = 1},
};

static ac_group groups[] = {{.id = 1, .line = 2, .states = both, .nstates = 2}};

static ac_local locals[] = {
    {.name = "n",
     .field = "n",
     .decl = "int %s",
     .line = 1,
     .why = AC_KEEP_PARAM},
    {.name = "a",
     .field = "a",
     .decl = "int %s",
     .line = 2,
     .why = AC_KEEP_LIVE,
     .states = three,
     .nstates = 1},
};

static ac_field fields[] = {
    {AC_FIELD_STATE, "_state", "int %s", 0},
    {AC_FIELD_PARAM, "n", "int %s", 0},
    {AC_FIELD_LOCAL, "a", "int %s", 1},
    {AC_FIELD_CHILDREN, "_aw", NULL, 0},
    {AC_FIELD_RESULT, "_ret", "int %s", 0},
};

static ac_transition transitions[] = {
    {0, 1, AC_EDGE_NEXT},       {1, 2, AC_EDGE_NEXT},
    {1, AC_DONE, AC_EDGE_FAIL}, {2, 3, AC_EDGE_NEXT},
    {2, AC_DONE, AC_EDGE_FAIL}, {3, AC_DONE, AC_EDGE_RETURN | AC_EDGE_FAIL},
};

static ac_machine by_hand(void) {
    ac_machine m = {.name = "f", .line = 1, .col = 11};
    m.states = states;
    m.nstates = 3;
    m.slots = slots;
    m.nslots = 3;
    m.groups = groups;
    m.ngroups = 1;
    m.locals = locals;
    m.nlocals = 2;
    m.fields = fields;
    m.nfields = 5;
    m.transitions = transitions;
    m.ntransitions = 6;
    m.uses_exit = 1;
    return m;
}

static void test_by_hand_verifies(void **state) {
    (void)state;
    ac_machine m = by_hand();
    ac_buf why = {0};
    assert_int_equal(ac_machine_verify(&m, &why), 0);
    assert_int_equal(why.len, 0);
    assert_int_equal(ac_machine_edge(&m, 2, 3), AC_EDGE_NEXT);
    assert_int_equal(ac_machine_edge(&m, 3, AC_DONE),
                     AC_EDGE_RETURN | AC_EDGE_FAIL);
    assert_int_equal(ac_machine_edge(&m, 1, 3), 0);
    assert_true(ac_machine_reachable(&m, 3));
    ac_buf_free(&why);
}

/* The report needs nothing but the machine (and a layout for sizes). */
static void test_by_hand_reports(void **state) {
    (void)state;
    ac_machine m = by_hand();
    ac_func f = {.name = "f", .machine = &m};
    ac_func *funcs[] = {&f};
    ac_unit u;
    memset(&u, 0, sizeof u);
    u.src.path = "f.c";
    u.funcs = funcs;
    u.nfuncs = 1;
    ac_inspect ins;
    ac_inspect_init(&ins, &u);
    ac_inspect_fields(&u, &ins.funcs[0], NULL);
    ac_buf out = {0};
    ac_inspect_write_text(&ins, &out);
    const char *t = ac_buf_str(&out);
    assert_non_null(strstr(t, "f.c: 1 async function\n"));
    assert_non_null(strstr(t, "     2  f.c:2:29  await(g(n))\n"));
    assert_non_null(strstr(t, "        1 -> 2, done [fail]\n"));
    assert_non_null(strstr(t, "        3 -> done [return, fail]\n"));
    /* No layout: sizes, offsets and types unknown, reasons all there. */
    assert_non_null(strstr(t, "  a       ?     live across state 3\n"));
    assert_non_null(strstr(t, "    g1    ?     one statement's slots, needed "
                              "together (line 2): states 1, 2\n"));
    assert_non_null(strstr(t, "      a1  ?     state 1: child frame of g\n"));
    assert_non_null(strstr(t, "    a3    ?     state 3: child frame of h\n"));
    ac_buf_free(&out);
    ac_inspect_write_dot(&ins, &out);
    assert_non_null(strstr(ac_buf_str(&out), "\"f.2\" -> \"f.3\";\n"));
    ac_buf_free(&out);
    ac_inspect_free(&ins);
    ac_arena_free(&u.arena);
}

/* Each broken invariant is named. */
static void expect_broken(ac_machine *m, const char *words) {
    ac_buf why = {0};
    assert_int_equal(ac_machine_verify(m, &why), -1);
    if (!strstr(ac_buf_str(&why), words))
        fail_msg("expected \"%s\" in \"%s\"", words, ac_buf_str(&why));
    ac_buf_free(&why);
}

static void test_broken_invariants(void **state) {
    (void)state;
    ac_machine m = by_hand();
    ac_state bad_states[3];
    memcpy(bad_states, states, sizeof states);
    bad_states[2].id = 4;
    m.states = bad_states;
    expect_broken(&m, "not dense");

    m = by_hand();
    ac_transition bad_to[6];
    memcpy(bad_to, transitions, sizeof transitions);
    bad_to[3].to = 7;
    m.transitions = bad_to;
    expect_broken(&m, "does not exist");

    m = by_hand();
    ac_transition unsorted[6];
    memcpy(unsorted, transitions, sizeof transitions);
    unsorted[1] = transitions[2];
    unsorted[2] = transitions[1];
    m.transitions = unsorted;
    expect_broken(&m, "not sorted");

    /* A slot no state uses. */
    m = by_hand();
    ac_slot bad_slots[3];
    memcpy(bad_slots, slots, sizeof slots);
    bad_slots[2].state = 2;
    m.slots = bad_slots;
    expect_broken(&m, "no slot serving it");

    /* A group of one slot is not a group. */
    m = by_hand();
    memcpy(bad_slots, slots, sizeof slots);
    bad_slots[1].group = 0;
    bad_slots[1].path = "_aw.a2";
    m.slots = bad_slots;
    expect_broken(&m, "group 1 holds 1 slots");

    /* Two fields of one name. */
    m = by_hand();
    ac_field bad_fields[5];
    memcpy(bad_fields, fields, sizeof fields);
    bad_fields[2].name = "n";
    m.fields = bad_fields;
    expect_broken(&m, "is not its local's field");

    /* A local live across a state that does not exist. */
    m = by_hand();
    ac_local bad_locals[2];
    memcpy(bad_locals, locals, sizeof locals);
    static unsigned nine[] = {9};
    bad_locals[1].states = nine;
    m.locals = bad_locals;
    expect_broken(&m, "local a lists states");
}

/* --- every machine the lowering builds ------------------------------- */

/* Whether `name` is a word of the space-separated `list`. */
static int listed(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = strstr(list, name); p; p = strstr(p + 1, name))
        if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
            return 1;
    return 0;
}

/* The samples' flags: -I of the samples and of the libraries found. */
static int sample_args(const char **args, int max) {
    static char flags[] = ASYNCC_SAMPLE_FLAGS;
    int n = 0;
    args[n++] = "-I" ASYNCC_SOURCE_DIR "/samples";
    for (char *tok = strtok(flags, " "); tok && n < max;
         tok = strtok(NULL, " "))
        args[n++] = tok;
    return n;
}

static unsigned verify_dir(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    unsigned files = 0;
    struct dirent *ent;
    while ((ent = readdir(d))) {
        size_t n = strlen(ent->d_name);
        if (n < 3 || strcmp(ent->d_name + n - 2, ".c") != 0)
            continue;
        if (listed(ASYNCC_SAMPLE_SKIP, ent->d_name))
            continue; /* its library is not installed */
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        static const char *args[16];
        static int nargs;
        if (nargs == 0)
            nargs = sample_args(args, 16);
        ac_unit u;
        memset(&u, 0, sizeof u);
        diags_begin();
        int rc = ac_parse(&u, path, nargs, args);
        if (rc == 0)
            rc = ac_lower(&u);
        const char *diags = diags_end();
        if (rc != 0)
            fail_msg("%s does not transpile:\n%s", path, diags);
        for (unsigned i = 0; i < u.nfuncs; i++) {
            ac_buf why = {0};
            if (ac_machine_verify(u.funcs[i]->machine, &why) != 0)
                fail_msg("%s: %s: %s", path, u.funcs[i]->name,
                         ac_buf_str(&why));
            ac_buf_free(&why);
        }
        ac_unit_free(&u);
        files++;
    }
    closedir(d);
    return files;
}

static void test_every_lowered_machine_verifies(void **state) {
    (void)state;
    assert_true(verify_dir(ASYNCC_SOURCE_DIR "/tests/corpus/run") > 50);
    assert_true(verify_dir(ASYNCC_SOURCE_DIR "/samples") > 5);
    assert_true(verify_dir(ASYNCC_SOURCE_DIR "/tests/e2e/programs") > 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_hand_verifies),
        cmocka_unit_test(test_by_hand_reports),
        cmocka_unit_test(test_broken_invariants),
        cmocka_unit_test(test_every_lowered_machine_verifies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
