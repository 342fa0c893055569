import logging

from integrations.log_redaction import RedactQueryStrings


def record(name: str, msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord(name, logging.DEBUG, __file__, 1, msg, args, None)


def test_query_strings_of_http_client_logs_are_redacted():
    line = record("urllib3.connectionpool", '%s://%s:%s "%s %s %s" %s %s', "https",
                  "graph.facebook.com", 443, "GET",
                  "/v25.0/debug_token?input_token=EAASENTINEL&appsecret_proof=abc", "HTTP/1.1",
                  200, 10)
    assert RedactQueryStrings().filter(line)
    assert "SENTINEL" not in line.getMessage()
    assert "/v25.0/debug_token?[redacted]" in line.getMessage()


def test_other_loggers_are_left_alone():
    line = record("integrations.services", "kept ?as=is")
    RedactQueryStrings().filter(line)
    assert line.getMessage() == "kept ?as=is"
