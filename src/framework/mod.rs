//! The typed framework provider authors write against: schemas, values, typed models,
//! diagnostics, Terraform's plan rules, and the `Provider` / `Resource` / `DataSource` /
//! `EphemeralResource` traits. It knows nothing of gRPC or of any vendor.

pub mod diag;
pub mod duration;
pub mod env;
pub mod json;
pub mod model;
pub mod model_check;
pub mod msgpack;
pub mod path;
pub mod plan;
pub mod planmod;
pub mod provider;
pub mod schema;
pub mod server;
pub mod types;
pub mod validators;
pub mod value;

pub use diag::{Diagnostic, Diagnostics, Severity};
pub use model::Attr;
pub use path::{AttributePath, PathStep};
pub use provider::{
    ConfigureRequest, CreateRequest, DataSource, EphemeralOpen, EphemeralResource, MoveSource, PlanRequest, Private,
    Provider, ReadRequest, Resource, StateResponse, UpdateRequest, ValidateRequest,
};
pub use schema::{Attribute, Block, NestedBlock, Nesting, Schema};
pub use server::{ClientCapabilities, DynamicValue, ProviderServer};
pub use types::Type;
pub use value::{Number, Value};
