//! Segments: named audiences. The built-in rings cannot be deleted, `general`
//! (everyone) cannot be changed, and a segment that flags' rules use cannot be deleted.

use std::collections::BTreeMap;

use rollgate_core::FieldError;
use rollgate_core::model::{BUILTIN_SEGMENTS, Segment};
use rollgate_core::validate::validate_segment;

use super::documents::Document;
use super::{Conflict, ServiceError};
use crate::infra::auth::Role;
use crate::infra::hub::{Catalog, Versioned};
use crate::infra::store::Kind;

impl Document for Segment {
    const KIND: Kind = Kind::Segment;
    const WRITER: Role = Role::Editor;
    const SHARED: &'static str = "segments";

    fn served(catalog: &Catalog) -> &BTreeMap<String, Versioned<Segment>> {
        &catalog.segments
    }

    fn served_mut(catalog: &mut Catalog) -> &mut BTreeMap<String, Versioned<Segment>> {
        &mut catalog.segments
    }

    fn refuse_write(key: &str) -> Result<(), ServiceError> {
        if key == "general" {
            return Err(Conflict::GeneralSegment.into());
        }
        Ok(())
    }

    fn validate(&self) -> Vec<FieldError> {
        validate_segment(self)
    }

    fn refuse_delete(key: &str) -> Result<(), ServiceError> {
        if BUILTIN_SEGMENTS.contains(&key) {
            return Err(Conflict::AudienceRing(key.to_owned()).into());
        }
        Ok(())
    }

    fn in_use(key: &str, catalog: &Catalog) -> Result<(), ServiceError> {
        let flags: Vec<String> = catalog
            .flags
            .values()
            .filter(|f| {
                f.doc
                    .environments
                    .values()
                    .any(|c| c.rules.iter().any(|r| r.segment.as_deref() == Some(key)))
            })
            .map(|f| f.doc.key.clone())
            .collect();
        if !flags.is_empty() {
            return Err(Conflict::SegmentInUse {
                segment: key.to_owned(),
                flags,
            }
            .into());
        }
        Ok(())
    }
}
