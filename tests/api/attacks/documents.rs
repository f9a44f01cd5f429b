//! GraphQL documents built to cost more than their size.
