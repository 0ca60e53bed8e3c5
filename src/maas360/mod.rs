//! IBM MaaS360: the API client (the provider's resources will live beside it).

pub mod client;
