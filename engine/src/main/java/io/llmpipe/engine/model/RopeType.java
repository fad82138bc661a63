package io.llmpipe.engine.model;

/** Which dimensions RoPE rotates together inside a head. */
public enum RopeType {
    /** Adjacent pairs (2i, 2i+1): llama2.c and GGUF "llama" (llama.cpp's converter permutes Q/K for it). */
    NORMAL,
    /** Halves (i, i + d/2): GPT-NeoX style, GGUF "qwen2". */
    NEOX
}
