/*
 * Pointer results: char *, const char *, int *, pointer to struct,
 * void * and NULL, and a pointer to pointer.
 */
#include <async.h>
#include <stdio.h>

struct item {
    const char *name;
    int qty;
};

static struct item items[] = {{"apple", 3}, {"pear", 0}, {"plum", 7}};
static char buffer[16] = "mutable";
static const char *names[] = {"first", "second"};

async const char *greeting(int formal) {
    await(async_sleep(0));
    return formal ? "Good day" : "Hi";
}

async char *buf(void) {
    await(async_sleep(0));
    return buffer;
}

async struct item *find(const char *name) {
    for (int i = 0; i < 3; i++) {
        await(async_sleep(0));
        const char *a = items[i].name, *b = name;
        while (*a && *a == *b)
            a++, b++;
        if (*a == *b)
            return &items[i];
    }
    return NULL;
}

async void *null_ptr(void) {
    await(async_sleep(0));
    return NULL;
}

async const char **name_slot(int i) {
    await(async_sleep(0));
    return &names[i];
}

async int amain(void) {
    printf("%s, %s\n", await(greeting(1)), await(greeting(0)));
    char *b = await(buf());
    b[0] = 'M';
    printf("buffer=%s\n", buffer);
    struct item *it = await(find("plum"));
    printf("found %s qty %d\n", it ? it->name : "-", it ? it->qty : -1);
    printf("missing is null: %d\n", await(find("kiwi")) == NULL);
    await(find("pear"))->qty = 12;
    printf("pear qty %d\n", items[1].qty);
    printf("null: %d\n", await(null_ptr()) == NULL);
    printf("slot: %s\n", *await(name_slot(1)));
    return 0;
}

int main(void) { return async_run(amain()); }
