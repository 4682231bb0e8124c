# sanitize.sh -- sourced by the scripts that build and run test programs:
# what a sanitized build adds.
#
#   sanitize_setup LIST
#       LIST is a -fsanitize= list (address,undefined or thread).  Sets
#       the array sanitize_cflags, for the compile and the link line (the
#       sanitizer runtimes come in at link time and also serve the
#       runtime library, instrumented or not), and exports the run-time
#       options unless the caller set them: every report ends the program
#       with a failing status, so the test fails.  Stack use after
#       return is checked too: a frame must not point into a stack that
#       is gone.

sanitize_setup() {
    sanitize_cflags=("-fsanitize=$1" -fno-sanitize-recover=all
        -fno-omit-frame-pointer)
    export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
}
