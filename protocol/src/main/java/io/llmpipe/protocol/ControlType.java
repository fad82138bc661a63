package io.llmpipe.protocol;

import com.fasterxml.jackson.annotation.JsonValue;

/** What a {@link ControlMessage} asks for; on the wire its upper-case {@link #wireName()}. */
public enum ControlType {
    /** Stop generating for the request and free its resources; decode answers with a cancelled event. */
    CANCEL("CANCEL");

    private final String wireName;

    ControlType(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }
}
