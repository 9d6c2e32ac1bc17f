// cxx_headers.cpp - attnc's generated headers in a C++ program: the headers
// of --emit header (softcap_causal.h, ssm.h) and of --emit stubs
// (softcap_gpu.h, ssm_gpu.h) included together and compiled as C++11 and as
// C++20 with -Wall -Wextra -Wpedantic -Werror (examples/CMakeLists.txt), their objects
// and stub files linked in. Exercises what a C++ engine would call first:
// defaults, descriptors, and a refused launch with its message.
#include <cstdio>
#include <cstring>

#include "softcap_causal.h"
#include "softcap_gpu.h"
#include "ssm.h"
#include "ssm_gpu.h"

static int failures = 0;

static void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "FAIL: %s [%s]\n", what, attn_last_error());
        failures++;
    }
}

int main()
{
    const attn_variant *attn = softcap_causal_softcap_causal_variant();
    check(attn->kind == ATTN_KIND_ATTENTION && attn->cpu_fwd != nullptr, "attention descriptor");
    softcap_causal_softcap_causal_params p = softcap_causal_softcap_causal_default_params();
    check(p.cap == 30.0f, "declared default");
    check(attn->params[0].has_default && attn->params[0].default_value.u.f == 30.0f,
          "the descriptor's f32 default (a call before C++20)");
    attn_gpu_variant gv = softcap_gpu_softcap_causal_gpu_variant();
    check(gv.var != nullptr && gv.ptx[ATTN_GPU_PTX_SM80] != nullptr, "GPU descriptor");

    const attn_variant *scan = ssm_selective_scan_variant();
    check(scan->kind == ATTN_KIND_SCAN && scan->scan->noutputs == 1, "scan descriptor");
    attn_scan_gpu_variant sg = ssm_gpu_selective_scan_scan_gpu_variant();
    check(sg.rows != nullptr && sg.smem != nullptr, "GPU scan geometry");
    attn_status s = ssm_selective_scan_scan(nullptr, nullptr, nullptr);
    check(s != ATTN_OK && std::strstr(attn_last_error(), "'u'") != nullptr, "missing tensors named");
    if (failures)
        return 1;
    std::printf("ok\n");
    return 0;
}
