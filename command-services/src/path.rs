//! Path parameters whose rejections are problem details.

pub use infra::http::ApiPath;
