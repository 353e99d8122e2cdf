/* 256 KB of constant data, so the image has a realistic size for the largest F0 parts. */
    .section .rodata.blob, "a"
    .global blob
blob:
    .incbin BLOB_PATH
