// The 512-bit VNNI kernels of the rows-in-lanes weight layouts: Q8_0 (Quant/Q8_0x16.cs) and Q4_0
// (Quant/Q4_0x16.cs), each times Q8 activations (Quant/Q8Block.cs), 16 rows and 1..16 tokens per call.
//
// Why C: .NET 10 exposes VNNI only as the 256-bit AVX-VNNI (VEX) instruction. On this project's machines
// (AMD Zen 5) the 512-bit EVEX vpdpbusd does twice the multiply-adds per instruction at the same rate, and
// the batched decode GEMM is bound by exactly that instruction. This file is the source of the machine code
// in Native/Vnni512Kernels.Code.g.cs, regenerated only by scripts/kernels/build.sh (gcc 12, -O2); the
// engine maps it executable at start-up when the processor has AVX512F/BW+VNNI and falls back to its C#
// kernels otherwise. It calls nothing, has no data sections and no relocations.
//
// Per token and block both kernels compute an exact int32 dot product and then, in the order of the C#
// kernels (Q8_0x8.Token, Q4_0x16.Token), acc = fma(float(s), dw*d, acc); results are bit-identical to them.
#include <immintrin.h>
#include <stdint.h>

typedef struct { float d; int32_t sum; int8_t q[32]; } q8b;   // CyLlm.Tensors.Quant.Q8Block, 40 bytes

// Q8_0 group layout, per 32-column block (544 bytes): the 16 rows' f16 scales (32 bytes), then 8 parts of 64
// bytes in which dword lane r holds quants 4k..4k+3 of row r stored as w+128 (the unsigned side of vpdpbusd):
//   s = -128*sum(q) + sum_i (w_i+128)*q_i
#define Q8_BLOCK_BYTES 544
// Q4_0 group layout, per block (288 bytes): the 16 f16 scales, then 4 parts of 64 bytes in which dword lane r
// holds bytes 4k..4k+3 of row r's block (elements 4k.. in the low nibbles, 16+4k.. in the high ones):
//   s = -8*sum(q) + sum_i nibble_i*q_i
#define Q4_BLOCK_BYTES 288

#define UPTO1(M) M(0)
#define UPTO2(M) UPTO1(M) M(1)
#define UPTO3(M) UPTO2(M) M(2)
#define UPTO4(M) UPTO3(M) M(3)
#define UPTO5(M) UPTO4(M) M(4)
#define UPTO6(M) UPTO5(M) M(5)
#define UPTO7(M) UPTO6(M) M(6)
#define UPTO8(M) UPTO7(M) M(7)
#define UPTO9(M) UPTO8(M) M(8)
#define UPTO10(M) UPTO9(M) M(9)
#define UPTO11(M) UPTO10(M) M(10)
#define UPTO12(M) UPTO11(M) M(11)
#define UPTO13(M) UPTO12(M) M(12)
#define UPTO14(M) UPTO13(M) M(13)
#define UPTO15(M) UPTO14(M) M(14)
#define UPTO16(M) UPTO15(M) M(15)

// Software prefetch of every cache line of the block PREFETCH_BLOCKS ahead: with many tokens a block takes
// long enough to compute that the loads of the next ones fall outside the out-of-order window, and weights
// streamed from memory then arrive at a fraction of the bandwidth without it (measured: 2.5x slower at 16
// tokens). Prefetching past the end of the group is harmless (a prefetch never faults).
#define PREFETCH_BLOCKS 16
#define PREFETCH(x, bytes)                                                                                \
    {                                                                                                     \
        const char* pf = (const char*)(x);                                                                \
        for (int o = 0; o < (bytes); o += 64) _mm_prefetch(pf + o, _MM_HINT_T0);                          \
        _mm_prefetch(pf + (bytes) - 1, _MM_HINT_T0);                                                      \
    }

#define ZERO(t) __m512 c##t = _mm512_setzero_ps();
#define STORE(t) _mm512_storeu_ps(y + (t) * ys, c##t);
// A few tokens: the eight multiply-adds of a block in four independent chains (integer sums are exact, so the
// regrouping changes nothing), so that a lone decode token is not bound by the instruction's latency.
// A few tokens: the eight multiply-adds of a block in four independent chains (integer sums are exact, so the
// regrouping changes nothing), so that a lone decode token is not bound by the instruction's latency.
#define TOKEN_FEW(t)                                                                              \
    {                                                                                             \
        const q8b* at = a + (t) * as;                                                             \
        const int32_t* q = (const int32_t*)at->q;                                                 \
        __m512i s0 = _mm512_dpbusd_epi32(_mm512_set1_epi32(BIAS * at->sum), w0, _mm512_set1_epi32(q[0])); \
        __m512i s1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w1, _mm512_set1_epi32(q[1]));  \
        __m512i s2 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w2, _mm512_set1_epi32(q[2]));  \
        __m512i s3 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), w3, _mm512_set1_epi32(q[3]));  \
        s0 = _mm512_dpbusd_epi32(s0, w4, _mm512_set1_epi32(q[4]));                                \
        s1 = _mm512_dpbusd_epi32(s1, w5, _mm512_set1_epi32(q[5]));                                \
        s2 = _mm512_dpbusd_epi32(s2, w6, _mm512_set1_epi32(q[6]));                                \
        s3 = _mm512_dpbusd_epi32(s3, w7, _mm512_set1_epi32(q[7]));                                \
        __m512i s = _mm512_add_epi32(_mm512_add_epi32(s0, s1), _mm512_add_epi32(s2, s3));         \
        c##t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(at->d)), c##t); \
    }

// Many tokens: one chain per token; the other tokens' chains fill the pipeline.
#define TOKEN_MANY(t)                                                                             \
    {                                                                                             \
        const q8b* at = a + (t) * as;                                                             \
        const int32_t* q = (const int32_t*)at->q;                                                 \
        __m512i s = _mm512_set1_epi32(BIAS * at->sum);                                            \
        s = _mm512_dpbusd_epi32(s, w0, _mm512_set1_epi32(q[0]));                                  \
        s = _mm512_dpbusd_epi32(s, w1, _mm512_set1_epi32(q[1]));                                  \
        s = _mm512_dpbusd_epi32(s, w2, _mm512_set1_epi32(q[2]));                                  \
        s = _mm512_dpbusd_epi32(s, w3, _mm512_set1_epi32(q[3]));                                  \
        s = _mm512_dpbusd_epi32(s, w4, _mm512_set1_epi32(q[4]));                                  \
        s = _mm512_dpbusd_epi32(s, w5, _mm512_set1_epi32(q[5]));                                  \
        s = _mm512_dpbusd_epi32(s, w6, _mm512_set1_epi32(q[6]));                                  \
        s = _mm512_dpbusd_epi32(s, w7, _mm512_set1_epi32(q[7]));                                  \
        c##t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(dw, _mm512_set1_ps(at->d)), c##t); \
    }

// The eight unsigned weight vectors w0..w7 of the block at p, one per group of 4 activations.
#define LOAD_Q8                                                                                   \
    __m512i w0 = _mm512_loadu_si512(p + 32), w1 = _mm512_loadu_si512(p + 96);                    \
    __m512i w2 = _mm512_loadu_si512(p + 160), w3 = _mm512_loadu_si512(p + 224);                   \
    __m512i w4 = _mm512_loadu_si512(p + 288), w5 = _mm512_loadu_si512(p + 352);                   \
    __m512i w6 = _mm512_loadu_si512(p + 416), w7 = _mm512_loadu_si512(p + 480);
#define LOAD_Q4                                                                                   \
    const __m512i m4 = _mm512_set1_epi8(0x0F);                                                    \
    __m512i v0 = _mm512_loadu_si512(p + 32), v1 = _mm512_loadu_si512(p + 96);                    \
    __m512i v2 = _mm512_loadu_si512(p + 160), v3 = _mm512_loadu_si512(p + 224);                   \
    __m512i w0 = _mm512_and_si512(v0, m4), w1 = _mm512_and_si512(v1, m4);                         \
    __m512i w2 = _mm512_and_si512(v2, m4), w3 = _mm512_and_si512(v3, m4);                         \
    __m512i w4 = _mm512_and_si512(_mm512_srli_epi16(v0, 4), m4), w5 = _mm512_and_si512(_mm512_srli_epi16(v1, 4), m4); \
    __m512i w6 = _mm512_and_si512(_mm512_srli_epi16(v2, 4), m4), w7 = _mm512_and_si512(_mm512_srli_epi16(v3, 4), m4);

// One function per kernel and token count keeps every accumulator in a register (8 weights + up to 16 sums
// of the 32 zmm registers).
#define DEFINE_RUN(K, T, TOKEN)                                                                           \
    static void __attribute__((noinline)) K##_run##T(const uint8_t* p, int blocks, const q8b* a, long as, float* y, long ys) \
    {                                                                                                     \
        UPTO##T(ZERO)                                                                                     \
        for (int b = 0; b < blocks; b++, p += K##_BLOCK_BYTES, a++)                                       \
        {                                                                                                 \
            PREFETCH(p + PREFETCH_BLOCKS * K##_BLOCK_BYTES, K##_BLOCK_BYTES)                                         \
            __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i*)p));                          \
            LOAD_##K                                                                                      \
            UPTO##T(TOKEN)                                                                                \
        }                                                                                                 \
        UPTO##T(STORE)                                                                                    \
    }

#define DEFINE_KERNEL(K)                                                                                  \
    DEFINE_RUN(K, 1, TOKEN_FEW) DEFINE_RUN(K, 2, TOKEN_FEW) DEFINE_RUN(K, 3, TOKEN_FEW) DEFINE_RUN(K, 4, TOKEN_FEW) \
    DEFINE_RUN(K, 5, TOKEN_MANY) DEFINE_RUN(K, 6, TOKEN_MANY) DEFINE_RUN(K, 7, TOKEN_MANY) DEFINE_RUN(K, 8, TOKEN_MANY) \
    DEFINE_RUN(K, 9, TOKEN_MANY) DEFINE_RUN(K, 10, TOKEN_MANY) DEFINE_RUN(K, 11, TOKEN_MANY) DEFINE_RUN(K, 12, TOKEN_MANY) \
    DEFINE_RUN(K, 13, TOKEN_MANY) DEFINE_RUN(K, 14, TOKEN_MANY) DEFINE_RUN(K, 15, TOKEN_MANY) DEFINE_RUN(K, 16, TOKEN_MANY) \
    static void K##_group(const uint8_t* p, int blocks, const q8b* a, long as, int tokens, float* y, long ys) \
    {                                                                                                     \
        switch (tokens)                                                                                   \
        {                                                                                                 \
            case 1: K##_run1(p, blocks, a, as, y, ys); break;                                             \
            case 2: K##_run2(p, blocks, a, as, y, ys); break;                                             \
            case 3: K##_run3(p, blocks, a, as, y, ys); break;                                             \
            case 4: K##_run4(p, blocks, a, as, y, ys); break;                                             \
            case 5: K##_run5(p, blocks, a, as, y, ys); break;                                             \
            case 6: K##_run6(p, blocks, a, as, y, ys); break;                                             \
            case 7: K##_run7(p, blocks, a, as, y, ys); break;                                             \
            case 8: K##_run8(p, blocks, a, as, y, ys); break;                                             \
            case 9: K##_run9(p, blocks, a, as, y, ys); break;                                             \
            case 10: K##_run10(p, blocks, a, as, y, ys); break;                                           \
            case 11: K##_run11(p, blocks, a, as, y, ys); break;                                           \
            case 12: K##_run12(p, blocks, a, as, y, ys); break;                                           \
            case 13: K##_run13(p, blocks, a, as, y, ys); break;                                           \
            case 14: K##_run14(p, blocks, a, as, y, ys); break;                                           \
            case 15: K##_run15(p, blocks, a, as, y, ys); break;                                           \
            default: K##_run16(p, blocks, a, as, y, ys); break;                                           \
        }                                                                                                 \
    }

#define BIAS (-128)
DEFINE_KERNEL(Q8)
#undef BIAS
#define BIAS (-8)
DEFINE_KERNEL(Q4)
#undef BIAS

// y[t*ys + r] for the 16 rows of the group at p and tokens 1..16 of activations a (token t's blocks at a + t*as).
// Built with -fno-jump-tables: the dispatch is compares and jumps, with no table to relocate.
void cyllm_q8_0x16_group(const uint8_t* p, int blocks, const q8b* a, long as, int tokens, float* y, long ys)
{
    Q8_group(p, blocks, a, as, tokens, y, ys);
}

void cyllm_q4_0x16_group(const uint8_t* p, int blocks, const q8b* a, long as, int tokens, float* y, long ys)
{
    Q4_group(p, blocks, a, as, tokens, y, ys);
}
