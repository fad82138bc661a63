package io.llmpipe.engine.gguf;

/** GGUF metadata value types, with their ids in the file. */
public enum GGUFValueType {
    UINT8(1), INT8(1), UINT16(2), INT16(2), UINT32(4), INT32(4), FLOAT32(4), BOOL(1),
    STRING(-1), ARRAY(-1), UINT64(8), INT64(8), FLOAT64(8);

    private final int byteSize;

    GGUFValueType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Fixed size in bytes, or -1 for STRING and ARRAY. */
    public int byteSize() {
        return byteSize;
    }

    /** The type with this id, or null. Ids are the ordinals, as in the GGUF spec. */
    public static GGUFValueType fromId(int id) {
        GGUFValueType[] all = values();
        return id >= 0 && id < all.length ? all[id] : null;
    }
}
