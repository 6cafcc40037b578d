"""Vocabulary: JSON-LD context URIs, well-known addresses, type names and media types."""

from __future__ import annotations

from enum import StrEnum

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
MAX_ID_LENGTH = 2048  # the longest id this node keeps: its id columns are this wide
SECURITY_CONTEXT = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

ACTIVITY_JSON = "application/activity+json"
LD_JSON_PROFILE = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
JRD_JSON = "application/jrd+json"

# Terms other servers use in actor documents, declared inline so nobody must fetch a context.
ACTOR_EXTENSIONS: dict[str, object] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "toot": "http://joinmastodon.org/ns#",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "sensitive": "as:sensitive",
    "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    "lemmy": "https://join-lemmy.org/ns#",
    "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
}

HARBOUR_NS = "https://harbour.community/ns#"
SCHEMA_NS = "http://schema.org#"

# A report shared between partner organisations' moderators (a `Flag` to the partner's
# instance actor): `sharedCase` true says "for your moderators, not the reported server".
CASE_CONTEXT: dict[str, object] = {"harbour": HARBOUR_NS, "sharedCase": "harbour:sharedCase"}

# A reader's suggested correction, offered by her node's instance actor to the organisation
# that owns the listing or country page (`context`): what is wrong (`correctionKind`), the
# country-page `section`, and `signedBy`, the member's actor, only when she chose to sign.
CORRECTION_CONTEXT: dict[str, object] = {
    "harbour": HARBOUR_NS,
    "correctionKind": "harbour:correctionKind",
    "experienceRating": "harbour:experienceRating",
    "section": "harbour:section",
    "schema": SCHEMA_NS,
    "inLanguage": "schema:inLanguage",
    "signedBy": {"@id": "harbour:signedBy", "@type": "@id"},
}

# Other organisations' statements that they checked a listing or a country page too.
CO_VERIFICATION_TERMS: dict[str, object] = {
    "coVerifiedBy": "harbour:coVerifiedBy",
    "CoVerification": "harbour:CoVerification",
    "verifiedOn": {"@id": "harbour:verifiedOn", "@type": "schema:Date"},
}

# Service listings: schema.org terms where they exist, Harbour's own for the rest.
LISTING_CONTEXT: dict[str, object] = {
    "harbour": HARBOUR_NS,
    "schema": SCHEMA_NS,
    "ServiceListing": "harbour:ServiceListing",
    "provider": "schema:provider",
    "areaServed": "schema:areaServed",
    "Place": "schema:Place",
    "PostalAddress": "schema:PostalAddress",
    "address": "schema:address",
    "addressCountry": "schema:addressCountry",
    "addressRegion": "schema:addressRegion",
    "addressLocality": "schema:addressLocality",
    "streetAddress": "schema:streetAddress",
    "postalCode": "schema:postalCode",
    "availableLanguage": "schema:availableLanguage",
    "inLanguage": "schema:inLanguage",
    "serviceType": "schema:serviceType",
    "openingHours": "schema:openingHours",
    "isAccessibleForFree": "schema:isAccessibleForFree",
    "telephone": "schema:telephone",
    "email": "schema:email",
    "cost": "harbour:cost",
    "anonymous": "harbour:anonymous",
    "papersRequired": "harbour:papersRequired",
    "insuranceRequired": "harbour:insuranceRequired",
    "website": {"@id": "harbour:website", "@type": "@id"},
    **CO_VERIFICATION_TERMS,
    "messaging": "harbour:messaging",
    "lastVerified": "harbour:lastVerified",
    "verifiedBy": "harbour:verifiedBy",
}

# Country information pages: every language version of one organisation's page about one
# country in one object, schema.org terms where they exist.
COUNTRY_CONTEXT: dict[str, object] = {
    "harbour": HARBOUR_NS,
    "schema": SCHEMA_NS,
    "CountryInformation": "harbour:CountryInformation",
    "countryCode": "harbour:countryCode",
    "languageVersions": {"@id": "harbour:languageVersions", "@container": "@list"},
    "inLanguage": "schema:inLanguage",
    "legalFramework": "harbour:legalFramework",
    "migrationAndResidence": "harbour:migrationAndResidence",
    "healthCareAccess": "harbour:healthCareAccess",
    "workingConditions": "harbour:workingConditions",
    "keyContacts": "harbour:keyContacts",
    "sources": "harbour:sources",
    "lastReviewed": "schema:lastReviewed",
    "revision": "harbour:revision",
    **CO_VERIFICATION_TERMS,
}


# Events, as Mobilizon and Gancio read them (`startTime`, `endTime`, `location` a `Place`
# with `name` and `address`, `url` the link to meet online), Mobilizon's `timezone` (an IANA
# name), and Harbour's terms for who it is for and how to register.
EVENT_CONTEXT: dict[str, object] = {
    "harbour": HARBOUR_NS,
    "schema": SCHEMA_NS,
    "mz": "https://joinmobilizon.org/ns#",
    "timezone": "mz:timezone",
    "PostalAddress": "schema:PostalAddress",
    "address": "schema:address",
    "streetAddress": "schema:streetAddress",
    "inLanguage": "schema:inLanguage",
    "eventAudience": "harbour:eventAudience",
    "registration": "harbour:registration",
}


class ActorType(StrEnum):
    """Actor types Harbour serves and understands."""

    PERSON = "Person"
    GROUP = "Group"
    ORGANIZATION = "Organization"
    APPLICATION = "Application"
    SERVICE = "Service"


class ObjectType(StrEnum):
    """Object types Harbour builds."""

    NOTE = "Note"
    QUESTION = "Question"
    PAGE = "Page"
    ARTICLE = "Article"
    COUNTRY_INFORMATION = "CountryInformation"
    SERVICE_LISTING = "ServiceListing"
    CO_VERIFICATION = "CoVerification"
    TOMBSTONE = "Tombstone"
    EVENT = "Event"


class ActivityType(StrEnum):
    """Activity types Harbour builds or accepts."""

    CREATE = "Create"
    UPDATE = "Update"
    DELETE = "Delete"
    FOLLOW = "Follow"
    ACCEPT = "Accept"
    REJECT = "Reject"
    UNDO = "Undo"
    LIKE = "Like"
    ANNOUNCE = "Announce"
    BLOCK = "Block"
    FLAG = "Flag"
    MOVE = "Move"
    JOIN = "Join"
    LEAVE = "Leave"
