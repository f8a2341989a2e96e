//! The registry of API families: the one place that lists them. Adding a family is one entry
//! in the [`families!`] list below (plus its module): the registry mounts its routes, asks it
//! whether it owns a path (for the default 404 and the metrics label), and adds its
//! operations to the OpenAPI document.
//!
//! The list is ordered: a path belongs to the first family that owns it, and the operations
//! family, which owns every path the others leave, comes last.

use crate::error::{Family, FamilyRef};
use crate::routes::Mounted;
use crate::{application, ops, scim, v1, v2};
use actix_web::web;

macro_rules! families {
    ($($family:ty),+ $(,)?) => {
        /// Mounts the routes of every family.
        pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
            $( <$family as Mounted>::routes().mount(cfg); )+
        }

        /// The family a (normalized) request path belongs to.
        pub(crate) fn of_path(path: &str) -> FamilyRef {
            $(
                if <$family as Family>::owns(path) {
                    return FamilyRef::of::<$family>();
                }
            )+
            FamilyRef::of::<ops::Operations>()
        }

        /// The OpenAPI description of every family's routes.
        pub(crate) fn openapi_documents() -> Vec<utoipa::openapi::OpenApi> {
            vec![$( <$family as Mounted>::openapi() ),+]
        }

        /// Every mounted path (in OpenAPI's `{name}` form) and method, by family, for the
        /// check that the routes and the document agree.
        #[cfg(test)]
        fn mounted_routes() -> Vec<(String, String)> {
            let mut all = Vec::new();
            $(
                for (path, methods) in <$family as Mounted>::routes().methods_by_path() {
                    for m in methods {
                        all.push((openapi_form(&path), m.as_str().to_ascii_lowercase()));
                    }
                }
            )+
            all
        }
    };
}

families!(
    v2::V2,
    v1::V1,
    application::Application,
    scim::Scim,
    ops::Operations
);

/// A mounted path as OpenAPI writes it: `{file:.+}` becomes `{file}`.
#[cfg(test)]
fn openapi_form(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..=open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let inner = &rest[open + 1..close];
        out.push_str(inner.split(':').next().unwrap_or(inner));
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mounted_route_is_documented_and_every_documented_one_mounted() {
        let mut mounted = mounted_routes();
        mounted.sort();
        let before = mounted.len();
        mounted.dedup();
        assert_eq!(before, mounted.len(), "a path and method mounted twice");
        let mut documented = Vec::new();
        for doc in openapi_documents() {
            let doc = serde_json::to_value(doc).unwrap();
            for (path, item) in doc["paths"].as_object().unwrap() {
                for method in item.as_object().unwrap().keys() {
                    documented.push((path.clone(), method.clone()));
                }
            }
        }
        documented.sort();
        assert_eq!(mounted, documented);
        assert_eq!(openapi_form("/docs/{file:.+}"), "/docs/{file}");
    }
    use crate::error::{Challenge, Problem};
    use rollcall_domain::services::ServiceError;
    use rollcall_domain::values::{FieldViolation, Violation, Violations};

    #[test]
    fn families_are_told_apart_by_prefix() {
        let name = |path| of_path(path).name;
        assert_eq!(name("/token"), "v2");
        assert_eq!(name("/api/v2"), "v2");
        assert_eq!(name("/api/v2/users/1"), "v2");
        assert_eq!(name("/api/v20"), "operations");
        assert_eq!(name("/tokens"), "operations");
        assert_eq!(name("/token/x"), "operations");
        assert_eq!(name("/healthz"), "operations");
        assert_eq!(name("/api/v1"), "v1");
        assert_eq!(name("/api/v1/users/ann"), "v1");
        assert_eq!(name("/api/v10"), "operations");
        assert_eq!(name("/api/application/users/1"), "application");
        assert_eq!(name("/api/applications"), "operations");
        assert_eq!(name("/scim/v2/Users/x"), "scim");
        assert_eq!(name("/scim/v2"), "scim");
        assert_eq!(name("/scim/v20"), "operations");
    }

    #[test]
    fn each_family_has_its_own_bare_challenges_and_statuses() {
        assert_eq!(v1::V1::BARE_CHALLENGES, &[Challenge::Basic]);
        assert_eq!(
            application::Application::BARE_CHALLENGES,
            &[Challenge::Bearer]
        );
        assert_eq!(
            v2::V2::BARE_CHALLENGES,
            &[Challenge::Basic, Challenge::Bearer]
        );
        let taken = Problem::Service(ServiceError::Validation(Violations::one(
            FieldViolation::new("username", Violation::Taken),
        )));
        assert_eq!(v2::V2::status(&taken).as_u16(), 422);
        assert_eq!(application::Application::status(&taken).as_u16(), 422);
        assert_eq!(v1::V1::status(&taken).as_u16(), 409);
    }
}
