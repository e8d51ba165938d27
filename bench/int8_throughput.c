// Issue rate of the int8 multiply instructions on this CPU (bench/README.md, "Prefill int8 GEMM"): 12
// independent chains of one zmm instruction, timed in this thread's CPU time. Not part of the build:
//   gcc -O2 -mavx512f -mavx512bw -mavx512vnni -o /tmp/int8_throughput bench/int8_throughput.c && /tmp/int8_throughput
#include <immintrin.h>
#include <stdio.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define N 120000000L
#define R12(OP) a0=OP(a0);a1=OP(a1);a2=OP(a2);a3=OP(a3);a4=OP(a4);a5=OP(a5);a6=OP(a6);a7=OP(a7);a8=OP(a8);a9=OP(a9);a10=OP(a10);a11=OP(a11);
#define KEEP __asm__ volatile(""::"v"(a0),"v"(a1),"v"(a2),"v"(a3),"v"(a4),"v"(a5),"v"(a6),"v"(a7),"v"(a8),"v"(a9),"v"(a10),"v"(a11));
#define BENCH(NAME, OP) { double t0=now(); for(long i=0;i<N/12;i++){ R12(OP) KEEP } double t1=now(); printf("%-28s %.2f per ns = %.2f per cycle at 3.61 GHz\n", NAME, N/((t1-t0)*1e9), N/((t1-t0)*1e9)/3.61); }
int main(){
  __m512i w=_mm512_set1_epi8(3), x=_mm512_set1_epi8(5), one=_mm512_set1_epi16(1);
  __m512i a0=_mm512_set1_epi32(0),a1=_mm512_set1_epi32(1),a2=_mm512_set1_epi32(2),a3=_mm512_set1_epi32(3),a4=_mm512_set1_epi32(4),a5=_mm512_set1_epi32(5),a6=_mm512_set1_epi32(6),a7=_mm512_set1_epi32(7),a8=_mm512_set1_epi32(8),a9=_mm512_set1_epi32(9),a10=_mm512_set1_epi32(10),a11=_mm512_set1_epi32(11);
  __asm__ volatile(""::"v"(w),"v"(x),"v"(one));
#define MUB(v) _mm512_maddubs_epi16(w,v)
#define MWD(v) _mm512_madd_epi16(v,one)
#define DP(v) _mm512_dpbusd_epi32(v,w,x)
#define ADDW(v) _mm512_add_epi16(v,w)
#define MIX(v) _mm512_add_epi16(_mm512_maddubs_epi16(w,v),v)
  BENCH("vpmaddubsw zmm", MUB)
  BENCH("vpmaddwd zmm", MWD)
  BENCH("vpdpbusd zmm", DP)
  BENCH("vpaddw zmm", ADDW)
  BENCH("maddubs+paddw pairs (ops)", MIX)
  int s=_mm512_reduce_add_epi32(a0)+_mm512_reduce_add_epi32(a5)+_mm512_reduce_add_epi32(a11); return s==12345;
}
