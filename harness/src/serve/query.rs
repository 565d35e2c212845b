//! Query strings: each route names the parameters it takes; an unknown
//! one, a repeated one (except those a route lets repeat), or one that
//! does not decode is a 400 naming it. Empty values count as absent (a
//! form's "any" choice).

use super::error::PageError;
use axum::extract::Query;
use axum::http::Uri;

/// The decoded parameters of one request.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The parameters of `uri`, all of them among `allowed`.
    ///
    /// # Errors
    /// 400 for a query that does not decode or a parameter not allowed.
    pub fn from_uri(uri: &Uri, allowed: &[&str]) -> Result<Params, PageError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map_err(|e| PageError::bad_request(format!("query: {}", e.body_text())))?;
        if let Some((key, _)) = pairs.iter().find(|(k, _)| !allowed.contains(&k.as_str())) {
            let allowed = if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            };
            return Err(PageError::bad_request(format!(
                "unknown query parameter '{key}' (allowed: {allowed})"
            )));
        }
        Ok(Params {
            pairs: pairs.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
        })
    }

    /// The value of `key`, if given once.
    ///
    /// # Errors
    /// 400 when `key` is given more than once.
    pub fn one<'a>(&'a self, key: &'a str) -> Result<Option<&'a str>, PageError> {
        let mut values = self.all(key);
        let first = values.next();
        if values.next().is_some() {
            return Err(PageError::bad_request(format!(
                "{key}: given more than once"
            )));
        }
        Ok(first)
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().expect("uri")
    }

    #[test]
    fn known_parameters_decode_and_empty_ones_are_absent() {
        let p = Params::from_uri(
            &uri("/?engine=lsm%3Aa%3D1&benchmark="),
            &["engine", "benchmark"],
        )
        .expect("allowed");
        assert_eq!(p.one("engine").expect("once"), Some("lsm:a=1"));
        assert_eq!(p.one("benchmark").expect("once"), None);
        let none = Params::from_uri(&uri("/"), &[]).expect("no query");
        assert_eq!(none.one("x").expect("absent"), None);
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        let e = Params::from_uri(&uri("/?nope=1"), &["engine"]).expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "400 Bad Request: unknown query parameter 'nope' (allowed: engine)"
        );
        let p = Params::from_uri(&uri("/?runs=a&runs=b"), &["runs"]).expect("allowed");
        assert_eq!(p.all("runs").collect::<Vec<_>>(), ["a", "b"]);
        assert!(p.one("runs").is_err());
    }
}
