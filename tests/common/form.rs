//! Reading a form-encoded request body as a fake provider received it;
//! shared by the sender tests (infra) and the black-box suite.

/// The fields of a form-encoded body, in order.
pub fn fields(body: &[u8]) -> Vec<(String, String)> {
    let body = std::str::from_utf8(body).expect("a form body is UTF-8");
    let decode =
        |s: &str| percent_encoding::percent_decode_str(&s.replace('+', " ")).decode_utf8().unwrap().into_owned();
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("key=value");
            (decode(k), decode(v))
        })
        .collect()
}
