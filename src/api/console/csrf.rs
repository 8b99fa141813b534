//! CSRF protection for console forms: a random value in an HttpOnly,
//! SameSite=Strict cookie, and in each form an HMAC of that value under the
//! server secret. A post is accepted only when the form's field matches the
//! cookie it came with and, when the browser says where the post came from
//! (`Origin`, `Sec-Fetch-Site`), that is this site.
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::HttpRequest;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::PREFIX;
use crate::service::secret::SecretKey;

pub const COOKIE: &str = "tidings_console_csrf";
pub const FIELD: &str = "csrf";

/// The cookie value a page's forms are tied to: the request's own, or a
/// fresh one the response must set.
pub struct Seed {
    pub value: String,
    pub fresh: bool,
}

pub fn seed(req: &HttpRequest) -> Seed {
    match req.cookie(COOKIE).filter(|c| !c.value().is_empty()) {
        Some(c) => Seed {
            value: c.value().to_string(),
            fresh: false,
        },
        None => {
            let mut raw = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut raw);
            Seed {
                value: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw),
                fresh: true,
            }
        }
    }
}

pub fn cookie(value: &str) -> Cookie<'static> {
    Cookie::build(COOKIE, value.to_string())
        .path(PREFIX)
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .finish()
}

/// The form field for pages tied to `seed`.
pub fn field_value(secret: &SecretKey, seed: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.bytes()).expect("HMAC takes any key size");
    mac.update(b"console-csrf:");
    mac.update(seed.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Whether a post with this form field is this site's own form.
pub fn accepts(req: &HttpRequest, secret: &SecretKey, field: Option<&str>) -> bool {
    if !same_origin(req) {
        return false;
    }
    let (Some(cookie), Some(field)) = (req.cookie(COOKIE), field) else {
        return false;
    };
    let expected = field_value(secret, cookie.value());
    expected.as_bytes().ct_eq(field.as_bytes()).into()
}

fn same_origin(req: &HttpRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = req.connection_info().host().to_string();
    url::Url::parse(origin)
        .ok()
        .and_then(|u| {
            let h = u.host_str()?.to_string();
            Some(match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h,
            })
        })
        .is_some_and(|o| o.eq_ignore_ascii_case(&host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn secret() -> SecretKey {
        SecretKey::from_bytes(b"k".to_vec())
    }

    #[test]
    fn field_must_match_the_cookie() {
        let good = field_value(&secret(), "seed");
        let req = TestRequest::post()
            .cookie(Cookie::new(COOKIE, "seed"))
            .to_http_request();
        assert!(accepts(&req, &secret(), Some(&good)));
        assert!(!accepts(&req, &secret(), Some("forged")));
        assert!(!accepts(&req, &secret(), None));
        let other = TestRequest::post()
            .cookie(Cookie::new(COOKIE, "other"))
            .to_http_request();
        assert!(!accepts(&other, &secret(), Some(&good)));
    }

    #[test]
    fn another_origin_is_refused() {
        let good = field_value(&secret(), "seed");
        let req = TestRequest::post()
            .insert_header(("host", "tidings.example"))
            .insert_header(("origin", "https://evil.example"))
            .cookie(Cookie::new(COOKIE, "seed"))
            .to_http_request();
        assert!(!accepts(&req, &secret(), Some(&good)));
        let cross = TestRequest::post()
            .insert_header(("sec-fetch-site", "cross-site"))
            .cookie(Cookie::new(COOKIE, "seed"))
            .to_http_request();
        assert!(!accepts(&cross, &secret(), Some(&good)));
        let own = TestRequest::post()
            .insert_header(("host", "tidings.example"))
            .insert_header(("origin", "https://tidings.example"))
            .cookie(Cookie::new(COOKIE, "seed"))
            .to_http_request();
        assert!(accepts(&own, &secret(), Some(&good)));
    }
}
