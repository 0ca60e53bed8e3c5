//! mdmkit: Terraform providers for MDM identity plumbing — the API credentials SaaS integrations
//! need from Jamf Pro and IBM MaaS360.
//!
//! # Four layers, one direction
//!
//! ```text
//! terraform ──gRPC──▶ plugin ──▶ framework ──▶ jamf / maas360 resources ──▶ API client ──HTTP──▶ vendor API
//!                     (wire)     (typed)                                    (rest)
//! ```
//!
//! Each layer knows only the one to its right (see `DESIGN.md`):
//!
//! - [`plugin`], the wire, speaks Terraform's plugin protocol 6 over gRPC (go-plugin handshake,
//!   AutoMTLS, logging) and converts to and from framework types. It knows no vendor.
//! - [`framework`] gives provider authors schemas, typed models, diagnostics with attribute paths
//!   and Terraform's plan rules, behind the [`framework::Provider`], [`framework::Resource`],
//!   [`framework::DataSource`] and [`framework::EphemeralResource`] traits. It knows no gRPC type.
//! - [`jamf`] and [`maas360`] hold the providers, their resources and data sources, and each
//!   vendor's API client. A resource maps its model to client calls and client errors to
//!   diagnostics; the client knows nothing of Terraform.
//! - [`rest`] is the HTTP plumbing both clients share (retries, token cache, redaction, URL
//!   rules), and [`settings`] the provider settings with their environment variables.
//!
//! The simulator of both vendor APIs lives in its own crate, `mdm-sim` (directory `sim/`), and
//! shares no code with the clients it is tested against. Tooling lives in `xtask` and in the
//! dev-only crate `devkit` (directory `devkit/`); no provider depends on either.
//!
//! # Writing a resource
//!
//! A resource declares a serde model whose fields are [`framework::Attr`] (null, unknown or
//! known), one per schema attribute and with the same names, a [`framework::Schema`], and the
//! CRUD methods of [`framework::Resource`]. The framework decodes Terraform's values into the
//! model, applies the plan rules, and encodes the returned state. Failures become diagnostics
//! (with the attribute to change) rather than panics or `Err`s; [`framework::Diagnostics::ok`]
//! turns a failed call into one.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::sync::Mutex;
//!
//! use async_trait::async_trait;
//! use mdmkit::framework::planmod::UseStateForUnknown;
//! use mdmkit::framework::{
//!     Attr, Attribute, AttributePath, CreateRequest, Diagnostic, Diagnostics, Private, ReadRequest, Resource,
//!     Schema, StateResponse, UpdateRequest,
//! };
//! use serde::{Deserialize, Serialize};
//!
//! /// What the provider's `configure` built: here an in-memory store instead of an API client.
//! #[derive(Default)]
//! struct Notes(Mutex<BTreeMap<String, String>>);
//!
//! impl Notes {
//!     fn save(&self, id: Option<&str>, text: &str) -> Result<String, String> {
//!         if text.is_empty() {
//!             return Err("a note needs some text".into());
//!         }
//!         let mut notes = self.0.lock().unwrap();
//!         let id = id.map_or_else(|| format!("note-{}", notes.len() + 1), str::to_string);
//!         notes.insert(id.clone(), text.to_string());
//!         Ok(id)
//!     }
//! }
//!
//! /// One `Attr` field per schema attribute, with the same names.
//! #[derive(Serialize, Deserialize, Clone, PartialEq)]
//! struct NoteModel {
//!     id: Attr<String>,
//!     text: Attr<String>,
//! }
//!
//! struct NoteResource;
//!
//! /// The diagnostic for a failed save: it points at the attribute to change.
//! fn save_failed(e: String) -> Diagnostic {
//!     Diagnostic::error("Cannot save the note", format!("{e}; set `text`.")).at(AttributePath::attr("text"))
//! }
//!
//! #[async_trait]
//! impl Resource for NoteResource {
//!     type Data = Notes;
//!     type Model = NoteModel;
//!
//!     fn type_name(&self) -> &'static str {
//!         "example_note"
//!     }
//!
//!     fn schema(&self) -> Schema {
//!         Schema::new("A note.")
//!             .attribute(
//!                 Attribute::string("id").computed().plan_modifier(UseStateForUnknown).description("The note's id."),
//!             )
//!             .attribute(Attribute::string("text").required().description("What the note says."))
//!     }
//!
//!     async fn create(
//!         &self,
//!         notes: &Notes,
//!         req: CreateRequest<NoteModel>,
//!         diags: &mut Diagnostics,
//!     ) -> Option<StateResponse<NoteModel>> {
//!         let text = req.planned.text.get().cloned().unwrap_or_default();
//!         let id = diags.ok(notes.save(None, &text), save_failed)?;
//!         Some(StateResponse::new(NoteModel { id: Attr::Known(id), text: Attr::Known(text) }))
//!     }
//!
//!     async fn read(
//!         &self,
//!         notes: &Notes,
//!         req: ReadRequest<NoteModel>,
//!         _diags: &mut Diagnostics,
//!     ) -> Option<StateResponse<NoteModel>> {
//!         let id = req.state.id.get()?;
//!         Some(match notes.0.lock().unwrap().get(id) {
//!             Some(text) => StateResponse::new(NoteModel { id: req.state.id.clone(), text: Attr::Known(text.clone()) }),
//!             None => StateResponse::gone(),
//!         })
//!     }
//!
//!     async fn update(
//!         &self,
//!         notes: &Notes,
//!         req: UpdateRequest<NoteModel>,
//!         diags: &mut Diagnostics,
//!     ) -> Option<StateResponse<NoteModel>> {
//!         let text = req.planned.text.get().cloned().unwrap_or_default();
//!         diags.ok(notes.save(req.prior.id.get().map(String::as_str), &text), save_failed)?;
//!         Some(StateResponse::new(req.planned))
//!     }
//!
//!     async fn delete(&self, notes: &Notes, prior: NoteModel, _private: Private, _diags: &mut Diagnostics) {
//!         if let Some(id) = prior.id.get() {
//!             notes.0.lock().unwrap().remove(id);
//!         }
//!     }
//! }
//!
//! // A provider lists the resource in `Provider::resources`. Every model is checked against its
//! // schema by a unit test, so a field that is missing or misspelled fails there and not in a plan.
//! assert_eq!(mdmkit::framework::model_check::check_model::<NoteModel>(&NoteResource.schema()), Ok(()));
//! ```

pub mod framework;
pub mod jamf;
pub mod maas360;
pub mod plugin;
pub mod rest;
pub mod settings;

/// The version of the providers.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
