//! Mounting a family's routes: [`Endpoint`] gathers the handlers of one path, and answers
//! every other method on that path with a 405 in the family's envelope whose `Allow` header
//! lists exactly the methods mounted — never a hand-written list; [`Mounted`], what a family
//! gives the registry.

use crate::error::{Family, FamilyError, Problem};
use actix_web::http::Method;
use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, web};
use std::marker::PhantomData;

/// What the registry needs of a family besides [`Family`]: its routes and their OpenAPI
/// description.
pub(crate) trait Mounted: Family + Sized {
    /// The family's paths with their handlers, in mounting order.
    fn endpoints() -> Vec<Endpoint<Self>>;

    /// The OpenAPI description of the family's routes.
    fn openapi() -> utoipa::openapi::OpenApi;
}

/// One path of family `F` and the handlers of its methods.
pub(crate) struct Endpoint<F> {
    #[cfg(test)]
    path: &'static str,
    methods: Vec<Method>,
    resource: Resource,
    family: PhantomData<F>,
}

impl<F: Family> Endpoint<F> {
    /// A path with no handler yet.
    pub(crate) fn new(path: &'static str) -> Self {
        Self {
            #[cfg(test)]
            path,
            methods: Vec::new(),
            resource: web::resource(path),
            family: PhantomData,
        }
    }

    /// Serves `method` with `handler`.
    pub(crate) fn on<H, Args>(mut self, method: Method, handler: H) -> Self
    where
        H: Handler<Args>,
        Args: FromRequest + 'static,
        H::Output: Responder + 'static,
    {
        self.resource = self.resource.route(web::method(method.clone()).to(handler));
        self.methods.push(method);
        self
    }

    /// The path, as mounted.
    #[cfg(test)]
    pub(crate) fn path(&self) -> &'static str {
        self.path
    }

    /// The methods served, in the order they were added.
    #[cfg(test)]
    pub(crate) fn methods(&self) -> &[Method] {
        &self.methods
    }

    /// Mounts the path: its handlers, and a 405 with `Allow` for every other method.
    pub(crate) fn mount(self, cfg: &mut web::ServiceConfig) {
        let allow = self
            .methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        cfg.service(self.resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move {
                Err::<HttpResponse, _>(FamilyError::<F>::from(Problem::MethodNotAllowed { allow }))
            }
        })));
    }
}

/// Mounts every endpoint, in order (fixed paths before the patterns that would also match
/// them).
pub(crate) fn mount_all<F: Family>(cfg: &mut web::ServiceConfig, endpoints: Vec<Endpoint<F>>) {
    for endpoint in endpoints {
        endpoint.mount(cfg);
    }
}
