package io.llmpipe.service;

/**
 * OpenAI's error body: {@code {"error":{"message":...,"type":...,"param":null,"code":...}}}.
 * Every error the services return has this shape.
 */
public record OpenAiError(Detail error) {

    public record Detail(String message, String type, String param, String code) {
    }

    /** The OpenAI {@code type} for an HTTP status: client errors vs. server errors. */
    public static String typeOf(int status) {
        return status >= 500 ? "server_error" : "invalid_request_error";
    }

    public static OpenAiError of(int status, String message, String code, String param) {
        return new OpenAiError(new Detail(message, typeOf(status), param, code));
    }

    public static OpenAiError of(int status, String message, String code) {
        return new OpenAiError(new Detail(message, typeOf(status), null, code));
    }
}
