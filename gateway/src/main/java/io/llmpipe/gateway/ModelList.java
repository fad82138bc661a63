package io.llmpipe.gateway;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** OpenAI's model list: {@code {"object":"list","data":[...]}}. */
public record ModelList(String object, List<Model> data) {

    /** One entry of {@link ModelList}; {@code created} in Unix seconds. */
    public record Model(String id, String object, long created, @JsonProperty("owned_by") String ownedBy) {
    }
}
