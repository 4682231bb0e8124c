/* async_spawn in a plain function: tasks can only be started by a task. */
#include <async.h>

async int work(void) { return 1; }

int main(void) {
    async_task *t = async_spawn(work());
    async_task_release(t);
    return 0;
}
