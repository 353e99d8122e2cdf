/* A byte ring for the host<->device queues of f0sim. */
#ifndef F0SIM_RING_H
#define F0SIM_RING_H

#include <stdint.h>

struct ring {
    uint8_t buf[65536];
    uint32_t head, tail; /* head = write index, tail = read index; free-running */
};
static inline uint32_t ring_count(const struct ring *r) { return r->head - r->tail; }
static inline uint32_t ring_space(const struct ring *r)
{
    return (uint32_t)sizeof r->buf - ring_count(r);
}
static inline void ring_put(struct ring *r, uint8_t b) { r->buf[r->head++ % sizeof r->buf] = b; }
static inline uint8_t ring_get(struct ring *r) { return r->buf[r->tail++ % sizeof r->buf]; }

#endif
