//! Request bodies, read by the handler itself after authentication (api.md 8: route, then
//! 401, then 403, then the body): the media type (415), the 64 KiB limit (413), the body read
//! deadline (408), well-formed JSON (400), a JSON object (422); and [`JsonFields`], which maps
//! an object's known fields into the domain's inputs, telling absent, null and wrongly typed
//! values apart.

use crate::error::{InvalidField, Problem};
use crate::state::{AppState, BODY_LIMIT, HttpSettings};
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::rt::time::timeout;
use actix_web::{HttpMessage, HttpRequest, mime, web};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// A JSON object body.
pub(crate) type JsonObject = Map<String, Value>;

/// A JSON number written with a fraction that is zero (`5.0`, `1e3`) is an integer, as JSON
/// Schema counts it; out-of-range ones saturate like out-of-range integers, so that the range
/// check of the field refuses them.
fn integral(f: f64) -> Option<i64> {
    // `as` saturates at the i64 bounds, which the fields' own range checks then refuse.
    #[allow(clippy::cast_possible_truncation)]
    (f.is_finite() && f.fract() == 0.0).then_some(f as i64)
}

/// Reads a JSON object body (see [`read_json_value`]); any other JSON value is refused.
///
/// # Errors
/// As [`read_json_value`], or [`Problem::InvalidFields`] when the JSON is not an object.
pub(crate) async fn read_json_object(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<JsonObject, Problem> {
    match read_json_value(req, payload).await? {
        Value::Object(object) => Ok(object),
        _ => Err(Problem::InvalidFields(vec![InvalidField::invalid(
            "body",
            None,
            "The request body must be a JSON object.".into(),
        )])),
    }
}

/// Reads a JSON body of any shape, for families that word a wrongly shaped body themselves.
/// An empty body without a `Content-Type` reads as `{}` (no body at all); anything else must
/// be declared `application/json` (or `…+json`).
///
/// # Errors
/// [`Problem::UnsupportedMediaType`], [`Problem::PayloadTooLarge`],
/// [`Problem::MalformedJson`], [`Problem::MalformedBody`] (unreadable).
pub(crate) async fn read_json_value(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Value, Problem> {
    let declared = req.mime_type().ok().flatten();
    let is_json = declared.as_ref().is_some_and(|m| {
        m.type_() == mime::APPLICATION
            && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
    });
    if !is_json {
        let unsupported = || {
            Problem::UnsupportedMediaType(
                "The request body must be JSON (Content-Type: application/json).".into(),
            )
        };
        if req.headers().contains_key(CONTENT_TYPE) {
            return Err(unsupported());
        }
        let bytes = read_limited(req, payload).await?;
        return if bytes.is_empty() {
            Ok(Value::Object(JsonObject::new()))
        } else {
            Err(unsupported())
        };
    }
    let bytes = read_limited(req, payload).await?;
    serde_json::from_slice(&bytes).map_err(|e| Problem::MalformedJson(e.to_string()))
}

/// Reads a form body into its pairs, in order: `application/x-www-form-urlencoded`, or
/// `multipart/form-data` as browsers send a `FormData` (Empire's Starkiller signs in that way,
/// and FastAPI's `OAuth2PasswordRequestForm` reads both). Of a multipart body only the text
/// fields count; a part with a file name is a file, not a field, and is skipped.
///
/// # Errors
/// [`Problem::UnsupportedMediaType`], [`Problem::PayloadTooLarge`], [`Problem::MalformedBody`]
/// (unreadable, or not valid multipart for its boundary).
pub(crate) async fn read_form(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Vec<(String, String)>, Problem> {
    let declared = req.mime_type().ok().flatten();
    let essence = declared.as_ref().map(mime::Mime::essence_str);
    if essence == Some(mime::APPLICATION_WWW_FORM_URLENCODED.essence_str()) {
        let bytes = read_limited(req, payload).await?;
        return Ok(url::form_urlencoded::parse(&bytes)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect());
    }
    let boundary = declared
        .as_ref()
        .filter(|_| essence == Some(mime::MULTIPART_FORM_DATA.essence_str()))
        .and_then(|m| m.get_param(mime::BOUNDARY))
        .map(|b| b.as_str().to_owned());
    let Some(boundary) = boundary else {
        return Err(Problem::UnsupportedMediaType(
            "The request body must be a form (Content-Type: application/x-www-form-urlencoded \
             or multipart/form-data with a boundary)."
                .into(),
        ));
    };
    let bytes = read_limited(req, payload).await?;
    multipart_fields(bytes, boundary).await
}

/// The text fields of a `multipart/form-data` body already read in full (so within
/// [`BODY_LIMIT`]).
async fn multipart_fields(
    bytes: web::Bytes,
    boundary: String,
) -> Result<Vec<(String, String)>, Problem> {
    let malformed = |e: multer::Error| {
        Problem::MalformedBody(format!("The multipart form could not be read: {e}."))
    };
    let body = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
    let mut parts = multer::Multipart::new(body, boundary);
    let mut fields = Vec::new();
    while let Some(part) = parts.next_field().await.map_err(malformed)? {
        let name = part.name().map(str::to_owned);
        let is_file = part.file_name().is_some();
        let value = part.text().await.map_err(malformed)?;
        if let (Some(name), false) = (name, is_file) {
            fields.push((name, value));
        }
    }
    Ok(fields)
}

/// Reads the whole body, refusing more than [`BODY_LIMIT`] bytes (by `Content-Length` up
/// front, and while reading for chunked bodies), and a body that has not arrived in full
/// within the body read deadline ([`HttpSettings::body_read_timeout`], counted from here to the
/// last byte, not per chunk).
async fn read_limited(req: &HttpRequest, payload: web::Payload) -> Result<web::Bytes, Problem> {
    let deadline = req
        .app_data::<web::Data<AppState>>()
        .map_or(HttpSettings::DEFAULT_BODY_READ_TIMEOUT, |state| {
            state.settings.body_read_timeout
        });
    read_within(deadline, req, payload).await
}

/// [`read_limited`] with this deadline.
async fn read_within(
    deadline: Duration,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<web::Bytes, Problem> {
    let too_large = Problem::PayloadTooLarge { limit: BODY_LIMIT };
    let declared_length = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > BODY_LIMIT as u64) {
        return Err(too_large);
    }
    let read = timeout(deadline, payload.to_bytes_limited(BODY_LIMIT)).await;
    match read {
        Ok(Ok(Ok(bytes))) => Ok(bytes),
        Ok(Ok(Err(e))) => Err(Problem::MalformedBody(format!(
            "The request body could not be read: {e}."
        ))),
        Ok(Err(_)) => Err(too_large),
        Err(_) => Err(Problem::RequestTimeout { after: deadline }),
    }
}

/// A request body shared by the handler, which reads it through the request's payload, and
/// by the response, which holds it until the response is written (see [`share_body`]).
#[derive(Clone)]
pub(crate) struct SharedBody(Rc<RefCell<Payload>>);

/// Puts the request's body (if it has one) behind a [`SharedBody`], so that the response can
/// hold it: wrap the response body in [`HoldingBody`] with what this returns.
///
/// Why: when a response is written before the request body has arrived in full, actix-web
/// closes the connection (`Connection: close`), except when the handler has dropped a
/// *chunked* body; that one it drains, reading and discarding chunks, for as long as the
/// client keeps sending them, with no deadline at all. Holding the body until the response
/// is written makes actix close the connection in that case too, so a slowly sent body that
/// nobody reads (a GET, a request refused before its body is read, a 408) never keeps the
/// connection. A body that has arrived in full by then changes nothing: the connection stays
/// open for the next request.
pub(crate) fn share_body(req: &mut ServiceRequest) -> Option<SharedBody> {
    let payload = req.take_payload();
    if matches!(payload, Payload::None) {
        return None;
    }
    let shared = SharedBody(Rc::new(RefCell::new(payload)));
    let reader = shared.clone();
    req.set_payload(Payload::Stream {
        payload: Box::pin(futures_util::stream::poll_fn(move |cx| {
            reader.0.borrow_mut().poll_next_unpin(cx)
        })),
    });
    Some(shared)
}

/// A response body that holds the request's [`SharedBody`] until it has been written.
pub(crate) struct HoldingBody<B> {
    body: B,
    _request_body: Option<SharedBody>,
}

impl<B> HoldingBody<B> {
    /// `body`, holding `request_body` for as long as it lives.
    pub(crate) fn new(body: B, request_body: Option<SharedBody>) -> Self {
        Self {
            body,
            _request_body: request_body,
        }
    }
}

impl<B: MessageBody + Unpin> MessageBody for HoldingBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<web::Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

/// The known fields of a JSON object, taken one by one. Every getter distinguishes absent
/// (`None`) from present; a present value of the wrong JSON type is recorded as malformed
/// (reported by the domain as `invalid`) and read as absent. Unknown fields are never looked at.
#[derive(Debug)]
pub(crate) struct JsonFields {
    object: JsonObject,
    malformed: Vec<&'static str>,
}

impl JsonFields {
    /// Wraps an object.
    pub(crate) fn new(object: JsonObject) -> Self {
        Self {
            object,
            malformed: Vec::new(),
        }
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.object.remove(name)
    }

    fn malformed<T>(&mut self, name: &'static str) -> Option<T> {
        self.malformed.push(name);
        None
    }

    /// A string that may be null: `Some(None)` for null.
    pub(crate) fn nullable_string(&mut self, name: &'static str) -> Option<Option<String>> {
        match self.take(name)? {
            Value::Null => Some(None),
            Value::String(s) => Some(Some(s)),
            _ => self.malformed(name),
        }
    }

    /// A string that may not be null.
    pub(crate) fn string(&mut self, name: &'static str) -> Option<String> {
        match self.take(name)? {
            Value::String(s) => Some(s),
            _ => self.malformed(name),
        }
    }

    /// A boolean (null is malformed: no boolean field is nullable).
    pub(crate) fn boolean(&mut self, name: &'static str) -> Option<bool> {
        match self.take(name)? {
            Value::Bool(b) => Some(b),
            _ => self.malformed(name),
        }
    }

    /// A boolean as Laravel's `boolean` rule takes it: `true`/`false`, `1`/`0` and
    /// `"1"`/`"0"` (anything else, null included, is malformed).
    pub(crate) fn boolean_or_bit(&mut self, name: &'static str) -> Option<bool> {
        match self.take(name)? {
            Value::Bool(b) => Some(b),
            Value::Number(n) if n.as_u64() == Some(1) => Some(true),
            Value::Number(n) if n.as_u64() == Some(0) => Some(false),
            Value::String(s) if s == "1" => Some(true),
            Value::String(s) if s == "0" => Some(false),
            _ => self.malformed(name),
        }
    }

    /// A whole number that may be null. Integers beyond `i64` read as `i64::MAX`/`MIN`, so
    /// that the domain reports them with its range rule; fractions are malformed.
    pub(crate) fn nullable_integer(&mut self, name: &'static str) -> Option<Option<i64>> {
        match self.take(name)? {
            Value::Null => Some(None),
            Value::Number(n) => match n
                .as_i64()
                .or_else(|| n.as_u64().map(|_| i64::MAX))
                .or_else(|| n.as_f64().and_then(integral))
            {
                Some(v) => Some(Some(v)),
                None => self.malformed(name),
            },
            _ => self.malformed(name),
        }
    }

    /// An array of objects, each handed to `item` (which gives `None` for a bad element); null
    /// reads as absent. Any bad element makes the whole field malformed.
    pub(crate) fn array_of<T>(
        &mut self,
        name: &'static str,
        item: impl Fn(&JsonObject) -> Option<T>,
    ) -> Option<Vec<T>> {
        match self.take(name)? {
            Value::Null => None,
            Value::Array(values) => {
                let parsed: Option<Vec<T>> = values
                    .iter()
                    .map(|v| v.as_object().and_then(&item))
                    .collect();
                match parsed {
                    Some(list) => Some(list),
                    None => self.malformed(name),
                }
            }
            _ => self.malformed(name),
        }
    }

    /// The fields found to be of the wrong type, in the order they were read.
    pub(crate) fn into_malformed(self) -> Vec<&'static str> {
        self.malformed
    }
}

/// The object of a JSON value, for tests of body mappings.
#[cfg(test)]
pub(crate) fn json_object(v: Value) -> JsonObject {
    match v {
        Value::Object(o) => o,
        other => panic!("not an object: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use serde_json::json;

    fn fields(v: Value) -> JsonFields {
        JsonFields::new(json_object(v))
    }

    #[test]
    fn absent_null_value_and_wrong_type_are_told_apart() {
        let mut f = fields(json!({"a": null, "b": "x", "c": 5, "d": true, "e": 7}));
        assert_eq!(f.nullable_string("a"), Some(None));
        assert_eq!(f.nullable_string("b"), Some(Some("x".into())));
        assert_eq!(f.nullable_string("c"), None);
        assert_eq!(f.nullable_string("missing"), None);
        assert_eq!(f.boolean("d"), Some(true));
        assert_eq!(f.nullable_integer("e"), Some(Some(7)));
        assert_eq!(f.into_malformed(), vec!["c"]);
    }

    #[test]
    fn non_nullable_fields_refuse_null() {
        let mut f = fields(
            json!({"s": null, "b": null, "n": "5", "f": 1.5, "big": 18446744073709551615u64}),
        );
        assert_eq!(f.string("s"), None);
        assert_eq!(f.boolean("b"), None);
        assert_eq!(f.nullable_integer("n"), None);
        assert_eq!(f.nullable_integer("f"), None);
        let mut whole = fields(json!({"zero": 0.0, "big": 1e3, "neg": -2.0, "over": 1e20}));
        assert_eq!(whole.nullable_integer("zero"), Some(Some(0)));
        assert_eq!(whole.nullable_integer("big"), Some(Some(1000)));
        assert_eq!(whole.nullable_integer("neg"), Some(Some(-2)));
        // Out of range saturates, as an out-of-range integer does; the field's range check
        // refuses it.
        assert_eq!(whole.nullable_integer("over"), Some(Some(i64::MAX)));
        assert!(whole.into_malformed().is_empty());
        assert_eq!(f.nullable_integer("big"), Some(Some(i64::MAX)));
        assert_eq!(f.into_malformed(), vec!["s", "b", "n", "f"]);
    }

    #[test]
    fn bits_read_as_booleans_where_laravel_accepts_them() {
        let mut f = fields(json!({
            "a": 1, "b": "0", "c": false, "d": 2, "e": "true", "f": null, "g": 1.0
        }));
        assert_eq!(f.boolean_or_bit("a"), Some(true));
        assert_eq!(f.boolean_or_bit("b"), Some(false));
        assert_eq!(f.boolean_or_bit("c"), Some(false));
        for name in ["d", "e", "f", "g"] {
            assert_eq!(f.boolean_or_bit(name), None, "{name}");
        }
        assert_eq!(f.boolean_or_bit("absent"), None);
        assert_eq!(f.into_malformed(), vec!["d", "e", "f", "g"]);
    }

    #[test]
    fn arrays_of_objects() {
        let pick = |o: &JsonObject| o.get("k").and_then(Value::as_str).map(str::to_owned);
        let mut f = fields(
            json!({"ok": [{"k": "a"}, {"k": "b"}], "bad": [{"k": 1}], "null": null, "str": "x"}),
        );
        assert_eq!(
            f.array_of("ok", pick),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(f.array_of("bad", pick), None);
        assert_eq!(f.array_of("null", pick), None);
        assert_eq!(f.array_of("str", pick), None);
        assert_eq!(f.into_malformed(), vec!["bad", "str"]);
    }

    #[actix_web::test]
    async fn a_body_that_stops_arriving_is_cut_at_the_deadline() {
        use actix_web::FromRequest;
        let (req, _) = TestRequest::post()
            .insert_header(("content-type", "application/json"))
            .to_http_parts();
        let first_byte = futures_util::stream::once(async {
            Ok::<_, actix_web::error::PayloadError>(web::Bytes::from_static(b"{"))
        });
        let mut stalled: Payload = Payload::Stream {
            payload: Box::pin(first_byte.chain(futures_util::stream::pending())),
        };
        let payload = web::Payload::from_request(&req, &mut stalled)
            .await
            .unwrap();
        let deadline = Duration::from_millis(20);
        let read = read_within(deadline, &req, payload).await;
        assert!(
            matches!(read, Err(Problem::RequestTimeout { after }) if after == deadline),
            "{read:?}"
        );
    }

    async fn json_body(req: TestRequest) -> Result<JsonObject, Problem> {
        use actix_web::FromRequest;
        let (req, mut payload) = req.to_http_parts();
        let payload = web::Payload::from_request(&req, &mut payload)
            .await
            .unwrap();
        read_json_object(&req, payload).await
    }

    async fn form_body(req: TestRequest) -> Result<Vec<(String, String)>, Problem> {
        use actix_web::FromRequest;
        let (req, mut payload) = req.to_http_parts();
        let payload = web::Payload::from_request(&req, &mut payload)
            .await
            .unwrap();
        read_form(&req, payload).await
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[actix_web::test]
    async fn forms_are_url_encoded_or_multipart() {
        let encoded = form_body(
            TestRequest::post()
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload("username=ann&password=p%26w&username=second"),
        )
        .await
        .unwrap();
        assert_eq!(
            encoded,
            pairs(&[
                ("username", "ann"),
                ("password", "p&w"),
                ("username", "second")
            ])
        );
        // As a browser's FormData is sent: text fields, and here also a file part, skipped.
        let multipart = "--XyZ\r\n\
            Content-Disposition: form-data; name=\"username\"\r\n\r\n\
            ann\r\n\
            --XyZ\r\n\
            Content-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n\
            Content-Type: image/png\r\n\r\n\
            PNG\r\n\
            --XyZ\r\n\
            Content-Disposition: form-data; name=\"password\"\r\n\r\n\
            p&w =\r\n\
            --XyZ--\r\n";
        let read = form_body(
            TestRequest::post()
                .insert_header(("content-type", "multipart/form-data; boundary=XyZ"))
                .set_payload(multipart),
        )
        .await
        .unwrap();
        assert_eq!(read, pairs(&[("username", "ann"), ("password", "p&w =")]));
        let no_boundary = form_body(
            TestRequest::post()
                .insert_header(("content-type", "multipart/form-data"))
                .set_payload(multipart),
        )
        .await;
        assert!(matches!(no_boundary, Err(Problem::UnsupportedMediaType(_))));
        let wrong_boundary = form_body(
            TestRequest::post()
                .insert_header(("content-type", "multipart/form-data; boundary=other"))
                .set_payload(multipart),
        )
        .await;
        assert!(
            matches!(wrong_boundary, Err(Problem::MalformedBody(_))),
            "{wrong_boundary:?}"
        );
        let json = form_body(
            TestRequest::post()
                .insert_header(("content-type", "application/json"))
                .set_payload("{}"),
        )
        .await;
        assert!(matches!(json, Err(Problem::UnsupportedMediaType(_))));
        let huge = form_body(
            TestRequest::post()
                .insert_header(("content-type", "multipart/form-data; boundary=XyZ"))
                .set_payload(vec![b'a'; BODY_LIMIT + 1]),
        )
        .await;
        assert!(matches!(huge, Err(Problem::PayloadTooLarge { .. })));
    }

    #[actix_web::test]
    async fn json_bodies_are_checked_in_order() {
        let ok = json_body(
            TestRequest::post()
                .insert_header(("content-type", "application/json; charset=utf-8"))
                .set_payload(r#"{"a": 1}"#),
        )
        .await
        .unwrap();
        assert_eq!(ok.get("a"), Some(&json!(1)));
        let vendor = json_body(
            TestRequest::post()
                .insert_header(("content-type", "application/vnd.api+json"))
                .set_payload("{}"),
        )
        .await;
        assert!(vendor.is_ok());
        let empty = json_body(TestRequest::post()).await.unwrap();
        assert!(empty.is_empty());
        let text = json_body(
            TestRequest::post()
                .insert_header(("content-type", "text/plain"))
                .set_payload("{}"),
        )
        .await;
        assert!(matches!(text, Err(Problem::UnsupportedMediaType(_))));
        let undeclared = json_body(TestRequest::post().set_payload("{}")).await;
        assert!(matches!(undeclared, Err(Problem::UnsupportedMediaType(_))));
        let broken = json_body(
            TestRequest::post()
                .insert_header(("content-type", "application/json"))
                .set_payload("{"),
        )
        .await;
        assert!(matches!(broken, Err(Problem::MalformedJson(_))));
        let array = json_body(
            TestRequest::post()
                .insert_header(("content-type", "application/json"))
                .set_payload("[]"),
        )
        .await;
        assert!(matches!(array, Err(Problem::InvalidFields(_))));
        let huge = json_body(
            TestRequest::post()
                .insert_header(("content-type", "application/json"))
                .set_payload(vec![b' '; BODY_LIMIT + 1]),
        )
        .await;
        assert!(matches!(huge, Err(Problem::PayloadTooLarge { .. })));
    }
}
