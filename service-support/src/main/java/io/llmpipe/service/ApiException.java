package io.llmpipe.service;

/**
 * A request a service refuses, with the HTTP status and OpenAI error fields to answer it with.
 * Thrown while reading and checking a request, before anything is queued.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final String param;

    public ApiException(int status, String code, String param, String message) {
        super(message);
        this.status = status;
        this.code = code;
        this.param = param;
    }

    /** 400: the body is not what the API accepts (invalid JSON, a missing or mistyped field). */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", param, message);
    }

    /** 422: a well-formed field whose value is out of range or not supported. */
    public static ApiException unprocessable(String param, String message) {
        return new ApiException(422, "invalid_value", param, message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    public OpenAiError toError() {
        return new OpenAiError(new OpenAiError.Detail(getMessage(), OpenAiError.typeOf(status), param, code));
    }
}
