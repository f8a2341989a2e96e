//! Mounting a family's routes from one source: each handler's `#[utoipa::path]` attribute
//! gives its path and method (through the `utoipa::Path` type the attribute generates, named
//! `__path_<handler>`), so a route is written once, where it is documented. [`Routes`] groups
//! the handlers by path in the order they are listed, and answers every other method on a
//! path with a 405 in the family's envelope whose `Allow` header lists exactly the methods
//! mounted — never a hand-written list. [`Mounted`] is what a family gives the registry.

use crate::error::{Family, FamilyError, Problem};
use actix_web::http::Method;
use actix_web::{FromRequest, Handler, HttpResponse, Responder, Route, web};
use std::marker::PhantomData;
use utoipa::openapi::path::HttpMethod;

/// What the registry needs of a family besides [`Family`]: its routes and their OpenAPI
/// description.
pub(crate) trait Mounted: Family + Sized {
    /// The family's routes, in mounting order (fixed paths before the patterns that would
    /// also match them).
    fn routes() -> Routes<Self>;

    /// The OpenAPI description of the family's routes.
    fn openapi() -> utoipa::openapi::OpenApi;
}

/// One path: the methods mounted on it and their routes.
struct Endpoint {
    path: String,
    methods: Vec<Method>,
    routes: Vec<Route>,
}

/// The routes of family `F`, grouped by path.
pub(crate) struct Routes<F> {
    endpoints: Vec<Endpoint>,
    family: PhantomData<F>,
}

impl<F: Family> Routes<F> {
    /// No route yet.
    pub(crate) fn new() -> Self {
        Self {
            endpoints: Vec::new(),
            family: PhantomData,
        }
    }

    /// Serves `handler` at the path and methods of its `#[utoipa::path]` (`P`).
    pub(crate) fn route<P, H, Args>(self, handler: H) -> Self
    where
        P: utoipa::Path,
        H: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        H::Output: Responder + 'static,
    {
        self.route_at::<P, H, Args>(&P::path(), handler)
    }

    /// As [`Routes::route`], mounted under an actix `pattern` that refines the documented path
    /// (`/docs/{file:.+}` for `/docs/{file}`).
    pub(crate) fn route_at<P, H, Args>(mut self, pattern: &str, handler: H) -> Self
    where
        P: utoipa::Path,
        H: Handler<Args> + Clone,
        Args: FromRequest + 'static,
        H::Output: Responder + 'static,
    {
        let index = match self.endpoints.iter().position(|e| e.path == pattern) {
            Some(index) => index,
            None => {
                self.endpoints.push(Endpoint {
                    path: pattern.to_owned(),
                    methods: Vec::new(),
                    routes: Vec::new(),
                });
                self.endpoints.len() - 1
            }
        };
        let endpoint = &mut self.endpoints[index];
        for method in P::methods().iter().map(actix_method) {
            endpoint
                .routes
                .push(web::method(method.clone()).to(handler.clone()));
            endpoint.methods.push(method);
        }
        self
    }

    /// Every mounted path and method, for the check that the routes and the document agree.
    #[cfg(test)]
    pub(crate) fn methods_by_path(&self) -> Vec<(String, Vec<Method>)> {
        self.endpoints
            .iter()
            .map(|e| (e.path.clone(), e.methods.clone()))
            .collect()
    }

    /// Mounts every path: its handlers, and a 405 with `Allow` for every other method.
    pub(crate) fn mount(self, cfg: &mut web::ServiceConfig) {
        for endpoint in self.endpoints {
            let allow = endpoint
                .methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let resource = endpoint
                .routes
                .into_iter()
                // Named by its pattern: the metrics label of the requests it answers.
                .fold(
                    web::resource(endpoint.path.clone()).name(&endpoint.path),
                    |r, route| r.route(route),
                );
            cfg.service(resource.default_service(web::to(move || {
                let allow = allow.clone();
                async move {
                    Err::<HttpResponse, _>(FamilyError::<F>::from(Problem::MethodNotAllowed {
                        allow,
                    }))
                }
            })));
        }
    }
}

/// The actix method of an OpenAPI one.
fn actix_method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}
