/* attn_dlpack.h - the DLPack tensor structs (DLTensor, DLDevice, DLDataType)
 * with the exact public ABI layout of dlpack.h (v0.8 and later), written for
 * this runtime so it needs no external header.
 *
 * A program that also uses the real dlpack.h must include it BEFORE this
 * header (or attn.h): its include guard then suppresses these declarations
 * and the runtime uses the real ones, which have the same layout. */
#ifndef ATTN_DLPACK_H
#define ATTN_DLPACK_H

#include <stdint.h>

#ifndef DLPACK_DLPACK_H_

typedef enum {
    kDLCPU = 1,
    kDLCUDA = 2,
    kDLCUDAHost = 3,
    kDLOpenCL = 4,
    kDLVulkan = 7,
    kDLMetal = 8,
    kDLVPI = 9,
    kDLROCM = 10,
    kDLROCMHost = 11,
    kDLExtDev = 12,
    kDLCUDAManaged = 13,
    kDLOneAPI = 14,
    kDLWebGPU = 15,
    kDLHexagon = 16,
} DLDeviceType;

typedef struct {
    DLDeviceType device_type;
    int32_t device_id;
} DLDevice;

typedef enum {
    kDLInt = 0U,
    kDLUInt = 1U,
    kDLFloat = 2U,
    kDLOpaqueHandle = 3U,
    kDLBfloat = 4U,
    kDLComplex = 5U,
    kDLBool = 6U,
} DLDataTypeCode;

typedef struct {
    uint8_t code;   /* DLDataTypeCode */
    uint8_t bits;
    uint16_t lanes;
} DLDataType;

/* A strided view: element (i0, i1, ...) lives at
 * (char *)data + byte_offset + sizeof(elem) * sum(ik * strides[k]);
 * strides == NULL means compact row-major. */
typedef struct {
    void *data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} DLTensor;

#endif /* DLPACK_DLPACK_H_ */

#endif
