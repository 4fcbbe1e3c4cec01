import type { RegistrationMode } from "../../accounts/instance-profile-service.ts";
import { ALT_TEXT_MAX, TEXT_MAX_GRAPHEMES } from "../../encounters/encounter-input.ts";
import { PHOTO_MAX_BYTES } from "../encounter-body.ts";
import type { AccountEntity } from "./account.ts";

/** The Mastodon API version we answer as, and how apps learn they talk to Socialdapres. */
export const MASTODON_API_VERSION = "4.3.0";

export interface InstanceFacts {
  origin: URL;
  title: string;
  /** The admin's description; empty: a sentence about Socialdapres. */
  description: string;
  registrationMode: RegistrationMode;
  /** Socialdapres's own version (package.json). */
  version: string;
  users: number;
  statuses: number;
  /** The first admin-made member, shown as the contact; null when there is none yet. */
  contact: AccountEntity | null;
}

const DESCRIPTION =
  "Socialdapres : on note ses rencontres de la semaine, on en témoigne ensemble. / Socialdapres: log your encounters of the week, witnessed together.";

/** Photos only, as encounters carry them; the processor reads these types. */
const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/avif"];

const descriptionOf = (facts: InstanceFacts) => facts.description || DESCRIPTION;

/**
 * Who may sign up: apps show a sign-up button when enabled, and send people to `url` (the
 * web form: there is no sign-up through the API). By invitation only is "disabled, invites
 * enabled", as on Mastodon.
 */
function registrations(facts: InstanceFacts) {
  const enabled = facts.registrationMode === "open" || facts.registrationMode === "request";
  return {
    enabled,
    approvalRequired: facts.registrationMode === "request",
    url: enabled ? new URL("/join", facts.origin).href : null,
  };
}

const versionOf = (facts: InstanceFacts) =>
  `${MASTODON_API_VERSION} (compatible; Socialdapres ${facts.version})`;

function configuration(facts: InstanceFacts) {
  return {
    urls: { streaming: facts.origin.origin.replace(/^http/, "ws"), status: null },
    accounts: { max_featured_tags: 0, max_pinned_statuses: 0 },
    statuses: {
      max_characters: TEXT_MAX_GRAPHEMES,
      max_media_attachments: 1,
      characters_reserved_per_url: 23,
    },
    media_attachments: {
      supported_mime_types: IMAGE_TYPES,
      description_limit: ALT_TEXT_MAX,
      image_size_limit: PHOTO_MAX_BYTES,
      image_matrix_limit: 100_000_000,
      video_size_limit: 0,
      video_frame_rate_limit: 0,
      video_matrix_limit: 0,
    },
    polls: {
      max_options: 0,
      max_characters_per_option: 0,
      min_expiration: 0,
      max_expiration: 0,
    },
    translation: { enabled: false },
  };
}

/** `GET /api/v2/instance` (https://docs.joinmastodon.org/entities/Instance/). */
export function instanceV2(facts: InstanceFacts) {
  return {
    domain: facts.origin.host,
    title: facts.title,
    version: versionOf(facts),
    source_url: "https://github.com/socialdapres/socialdapres",
    description: descriptionOf(facts),
    usage: { users: { active_month: facts.users } },
    thumbnail: { url: new URL("/headers/original/missing.png", facts.origin).href },
    icon: [],
    languages: ["fr", "en"],
    configuration: {
      ...configuration(facts),
      vapid: { public_key: "" },
      timeline_access: {},
    },
    registrations: {
      enabled: registrations(facts).enabled,
      approval_required: registrations(facts).approvalRequired,
      message: null,
      url: registrations(facts).url,
    },
    api_versions: { mastodon: 2 },
    contact: { email: "", account: facts.contact },
    rules: [],
  };
}

/** `GET /api/v1/instance`: the older shape, still read by Tusky and others at log-in. */
export function instanceV1(facts: InstanceFacts) {
  const { streaming } = configuration(facts).urls;
  return {
    uri: facts.origin.host,
    title: facts.title,
    short_description: descriptionOf(facts),
    description: descriptionOf(facts),
    email: "",
    version: versionOf(facts),
    urls: { streaming_api: streaming },
    stats: { user_count: facts.users, status_count: facts.statuses, domain_count: 0 },
    thumbnail: null,
    languages: ["fr", "en"],
    registrations: registrations(facts).enabled,
    approval_required: registrations(facts).approvalRequired,
    invites_enabled: facts.registrationMode === "invite",
    configuration: configuration(facts),
    contact_account: facts.contact,
    rules: [],
  };
}
