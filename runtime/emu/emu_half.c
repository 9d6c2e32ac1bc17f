/* emu_half.c - exact f16/bf16 <-> f32 conversions (round to nearest even,
 * NaNs kept quiet), as the hardware's cvt.rn instructions compute them. */
#include <math.h>
#include <string.h>

#include "gpu_dev_emu.h"

static uint32_t emu_bits(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    return x;
}

static float emu_float(uint32_t x)
{
    float f;
    memcpy(&f, &x, 4);
    return f;
}

uint16_t emu_f32_to_f16(float f)
{
    uint32_t x = emu_bits(f), mag = x & 0x7fffffffu;
    uint16_t sign = (uint16_t)(x >> 16 & 0x8000u);
    if (mag > 0x7f800000u)
        return sign | 0x7e00u;                  /* NaN */
    if (mag >= 0x477ff000u)
        return sign | 0x7c00u;                  /* >= 65520 (or inf): inf */
    if (mag < 0x38800000u)                      /* below 2^-14: subnormal or zero */
        return sign | (uint16_t)nearbyintf(emu_float(mag) * 16777216.0f);
    uint32_t r = mag - (112u << 23);            /* rebias the exponent 127 -> 15 */
    r += 0xfffu + (r >> 13 & 1u);               /* round the 13 dropped bits to even */
    return sign | (uint16_t)(r >> 13);
}

uint16_t emu_f32_to_bf16(float f)
{
    uint32_t x = emu_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)(x >> 16 | 0x40u);     /* NaN, quiet */
    x += 0x7fffu + (x >> 16 & 1u);
    return (uint16_t)(x >> 16);
}

float emu_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = h >> 10 & 0x1fu, man = h & 0x3ffu;
    if (exp == 0)                               /* zero or subnormal: man * 2^-24 */
        return emu_float(sign | emu_bits(ldexpf((float)man, -24)));
    if (exp == 31)
        return emu_float(sign | 0x7f800000u | man << 13);
    return emu_float(sign | (exp + 112u) << 23 | man << 13);
}

float emu_bf16_to_f32(uint16_t h) { return emu_float((uint32_t)h << 16); }
