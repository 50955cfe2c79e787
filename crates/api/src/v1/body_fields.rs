//! The field types request bodies are made of where poem-openapi's own
//! take more than the document it writes says:
//!
//! - [`Omittable<T>`], an optional field: absent, or a value of its type,
//!   never `null`. poem-openapi's `Option<T>` takes `null` as absent while
//!   the document says the field is a `T`: `"ttl_seconds": null` got a 200.
//!   (A field where `null` means something, like `phone` removing the
//!   number, is a `MaybeUndefined<T>` marked nullable.)
//! - [`Text`], a string that is a JSON string: poem-openapi's `String` also
//!   takes a number or a boolean (`"name": false` became the name "false").

use std::borrow::Cow;

use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Omittable<T>(pub Option<T>);

impl<T> Default for Omittable<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T: Type> Type for Omittable<T> {
    const IS_REQUIRED: bool = false;

    type RawValueType = T::RawValueType;

    type RawElementValueType = T::RawElementValueType;

    fn name() -> Cow<'static, str> {
        format!("optional_{}", T::name()).into()
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }

    fn as_raw_value(&self) -> Option<&Self::RawValueType> {
        self.0.as_ref().and_then(Type::as_raw_value)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
        match &self.0 {
            Some(value) => value.raw_element_iter(),
            None => Box::new(std::iter::empty()),
        }
    }

    fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl<T: ParseFromJSON> ParseFromJSON for Omittable<T> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            None => Ok(Self(None)),
            Some(Value::Null) => Err(ParseError::custom("must not be null; leave the field out instead")),
            Some(value) => Ok(Self(Some(T::parse_from_json(Some(value)).map_err(ParseError::propagate)?))),
        }
    }
}

impl<T: ToJSON> ToJSON for Omittable<T> {
    fn to_json(&self) -> Option<Value> {
        self.0.as_ref().and_then(ToJSON::to_json)
    }
}

/// A JSON string, and nothing else; the document calls it a `string`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Text(pub String);

impl Text {
    pub fn into_string(self) -> String {
        self.0
    }
}

impl From<Text> for String {
    fn from(t: Text) -> Self {
        t.0
    }
}

impl From<Text> for secrecy::SecretString {
    fn from(t: Text) -> Self {
        t.0.into()
    }
}

impl Omittable<Text> {
    pub fn into_string(self) -> Option<String> {
        self.0.map(Text::into_string)
    }
}

/// A nullable text field as the domain takes it: absent (`None`), `null`
/// (`Some(None)`) or a string.
pub fn nullable_string(field: poem_openapi::types::MaybeUndefined<Text>) -> Option<Option<String>> {
    Option::<Option<Text>>::from(field).map(|v| v.map(Text::into_string))
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Type for Text {
    const IS_REQUIRED: bool = true;

    type RawValueType = String;

    type RawElementValueType = String;

    fn name() -> Cow<'static, str> {
        "string".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema::new("string")))
    }

    fn as_raw_value(&self) -> Option<&String> {
        Some(&self.0)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(std::iter::once(&self.0))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl ParseFromJSON for Text {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(s)) => Ok(Self(s)),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for Text {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_a_json_string_and_not_a_number_or_a_boolean() {
        assert_eq!(Text::parse_from_json(Some(serde_json::json!("ada"))).unwrap(), Text("ada".into()));
        for other in [serde_json::json!(12), serde_json::json!(false), Value::Null, serde_json::json!(["a"])] {
            assert!(Text::parse_from_json(Some(other.clone())).is_err(), "{other}");
        }
        assert!(Text::parse_from_json(None).is_err(), "a required field");
    }

    #[test]
    fn an_omittable_field_is_absent_or_a_value_and_null_is_refused() {
        assert_eq!(Omittable::<u32>::parse_from_json(None).unwrap(), Omittable(None));
        assert_eq!(Omittable::<u32>::parse_from_json(Some(serde_json::json!(60))).unwrap(), Omittable(Some(60)));
        assert!(Omittable::<u32>::parse_from_json(Some(Value::Null)).is_err());
        assert!(Omittable::<u32>::parse_from_json(Some(serde_json::json!("x"))).is_err());
    }
}
