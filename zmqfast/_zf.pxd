# Declarations of the engine's C API (csrc/zf.h), the only C surface the binding uses.
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

cdef extern from "zf.h" nogil:
    ctypedef struct zf_ctx:
        pass
    ctypedef struct zf_sock:
        pass
    ctypedef struct zf_release_stack:
        pass
    ctypedef struct zf_buf:
        int refs
        uint32_t tag
        size_t size
        uint8_t *data
        zf_release_stack *stack
        void *hint
        zf_buf *next

    int ZF_ETERM
    int ZF_DONTWAIT
    int ZF_SNDMORE
    int ZF_POLLIN
    int ZF_POLLOUT

    ctypedef struct zf_frame:
        const uint8_t *data
        size_t size
        zf_buf *buf
        int more

    ctypedef struct zf_pollitem:
        zf_sock *sock
        int fd
        short events
        short revents

    int64_t zf_clock_ms()

    zf_buf *zf_buf_new(size_t size)
    zf_buf *zf_buf_external(void *data, size_t size, zf_release_stack *stack, void *hint)
    void zf_buf_ref(zf_buf *b)
    void zf_buf_unref(zf_buf *b)
    zf_buf *zf_release_stack_take(zf_release_stack *s)
    void zf_buf_free_external(zf_buf *b)

    zf_ctx *zf_ctx_new(int io_threads)
    int zf_ctx_set(zf_ctx *c, int option, int value)
    int zf_ctx_get(zf_ctx *c, int option)
    int zf_ctx_get_ext(zf_ctx *c, int option, int *value)
    void zf_ctx_shutdown(zf_ctx *c)
    int zf_ctx_term_wait(zf_ctx *c, int timeout_ms)
    void zf_ctx_free(zf_ctx *c)
    zf_release_stack *zf_ctx_release_stack(zf_ctx *c)

    void zf_ctx_forget(zf_ctx *c)

    void zf_sock_share(zf_sock *s, int delta)
    int zf_sock_enter(zf_sock *s)
    void zf_sock_leave(zf_sock *s, int entered)

    int zf_sock_new(zf_ctx *c, int type, zf_sock **out)
    int zf_sock_close(zf_sock *s, int linger_set, int linger)
    void zf_sock_ref(zf_sock *s)
    void zf_sock_unref(zf_sock *s)
    int zf_sock_closed(zf_sock *s)
    int zf_sock_give_blank(zf_sock *s, zf_buf *b)
    int zf_sock_blanks(zf_sock *s)
    int zf_sock_bind(zf_sock *s, const char *endpoint)
    int zf_sock_connect(zf_sock *s, const char *endpoint)
    int zf_sock_unbind(zf_sock *s, const char *endpoint)
    int zf_sock_disconnect(zf_sock *s, const char *endpoint)
    int zf_sock_setopt_int(zf_sock *s, int option, int64_t value)
    int zf_sock_getopt_int(zf_sock *s, int option, int64_t *value)
    int zf_sock_setopt_bytes(zf_sock *s, int option, const void *value, size_t len)
    int zf_sock_getopt_bytes(zf_sock *s, int option, void *value, size_t *len)
    int zf_sock_monitor(zf_sock *s, const char *endpoint, int events)
    int zf_sock_type(zf_sock *s)
    zf_buf *zf_sock_meta(zf_sock *s)
    int zf_meta_get(const zf_buf *m, const char *name, const uint8_t **val, size_t *len)
    int zf_sock_fd(zf_sock *s)
    int zf_sock_send(zf_sock *s, const void *data, size_t len, int flags)
    int zf_sock_send_buf(zf_sock *s, zf_buf *buf, const void *data, size_t len, int flags)
    int zf_sock_recv(zf_sock *s, zf_frame *f)
    int zf_sock_rcvmore(zf_sock *s)
    int zf_sock_events(zf_sock *s)
    int zf_sock_wait(zf_sock *s, int events, int timeout_ms)

    int zf_poll_scan(zf_pollitem *items, int n, int arm)
    int zf_poll_wait(zf_pollitem *items, int n, int timeout_ms)

    ctypedef struct zf_proxy:
        zf_sock *front
        zf_sock *back
        zf_sock *capture
        zf_sock *control
        int paused
        int wait_ms
        uint64_t stats[8]
    int zf_proxy_run(zf_proxy *px)
