/**
 * Built-in event catalog.
 *
 * Hookferry serves three kinds of product from one engine; their event types are
 * presets of a single catalog rather than separate code paths:
 *
 * - `outreach`  — a LinkedIn outreach platform: the `linkedin.*` delivery events plus the
 *                 prospect / campaign / message / connection / agent test events.
 * - `analytics` — a conversation-analytics platform: chats, messages and insights.
 * - `voice`     — a voice-call platform: call lifecycle, recordings and transcripts.
 *
 * Every definition carries a deterministic example `data` payload (used by
 * `GET /v1/webhooks/test/example/:event` and `POST /v1/webhooks/test`). Examples are
 * constant, JSON-serialisable plain objects; the whole catalog is deeply frozen, so
 * callers that want to modify an example must copy it first.
 *
 * The `*` wildcard is a subscription pattern, not an event type: it is deliberately
 * not a valid event type id here and is handled by the event-matching code.
 *
 * Pure and deterministic: safe to import from workflow code.
 */

export type PresetName = 'outreach' | 'analytics' | 'voice';

export const PRESET_NAMES: readonly PresetName[] = Object.freeze(['outreach', 'analytics', 'voice'] as const);

export interface EventTypeDefinition {
  /** Event type id, e.g. `prospect.qualified`. */
  id: string;
  /** Human-readable name, e.g. `Prospect Qualified`. */
  name: string;
  description: string;
  /** The part of the id before the first dot (the whole id when it has no dot). */
  category: string;
  preset: PresetName | 'custom';
  /** Example `data` payload for this event type. */
  example: Record<string, unknown>;
}

/** Maximum length of an event type id. */
export const EVENT_TYPE_ID_MAX_LENGTH = 100;

/**
 * Valid event type ids: one or more segments of lowercase letters, digits and `_`,
 * separated by single dots, 1–100 characters in total (the length is enforced by the
 * leading lookahead, so the pattern alone is a complete check). Not global/sticky, so
 * `test()` carries no state between calls.
 */
export const EVENT_TYPE_ID_PATTERN: RegExp = /^(?=.{1,100}$)[a-z0-9_]+(?:\.[a-z0-9_]+)*$/;

export function isValidEventTypeId(id: string): boolean {
  return (
    typeof id === 'string' &&
    id.length >= 1 &&
    id.length <= EVENT_TYPE_ID_MAX_LENGTH &&
    EVENT_TYPE_ID_PATTERN.test(id)
  );
}

/** Category of an event type id: the part before the first dot, or the id itself. */
export function eventTypeCategory(id: string): string {
  const dot = id.indexOf('.');
  return dot === -1 ? id : id.slice(0, dot);
}

// ---------------------------------------------------------------------------
// Catalog data
// ---------------------------------------------------------------------------

type Entry = Omit<EventTypeDefinition, 'category' | 'preset'>;

// Shared identifiers so the examples of one preset tell a consistent story.
const AGENT_ID = 'agt_8c2f4a1e9b';
const CAMPAIGN_ID = 'cmp_3d7e1b5a0c';
const CAMPAIGN_NAME = 'Q3 Fintech CTOs';
const PROSPECT_ID = 'prs_6a9c2e4f1d';
const CHAT_ID = 'cht_1f5b8d3a7e';
const USER_ID = 'usr_5e0a7c2b4d';
const PROFILE_URL = 'https://www.linkedin.com/in/amara-okafor';

const OUTREACH: readonly Entry[] = [
  // --- LinkedIn delivery events -------------------------------------------
  {
    id: 'linkedin.message.sent',
    name: 'LinkedIn Message Sent',
    description: 'Agent sends a message to a prospect',
    example: {
      agentId: AGENT_ID,
      campaignId: CAMPAIGN_ID,
      chatId: CHAT_ID,
      prospectId: PROSPECT_ID,
      message: 'Hi Amara, thanks for connecting! Would you be open to a quick chat about how your team handles payment reconciliation?',
      timestamp: '2025-07-15T10:15:00.000Z',
    },
  },
  {
    id: 'linkedin.message.received',
    name: 'LinkedIn Message Received',
    description: 'Prospect responds to an agent',
    example: {
      agentId: AGENT_ID,
      campaignId: CAMPAIGN_ID,
      chatId: CHAT_ID,
      prospectId: PROSPECT_ID,
      message: 'Hi! Yes, happy to chat. Does Thursday afternoon work for you?',
      timestamp: '2025-07-15T10:30:00.000Z',
    },
  },
  {
    id: 'linkedin.invitation.sent',
    name: 'LinkedIn Invitation Sent',
    description: 'Agent sends a connection invitation',
    example: {
      agentId: AGENT_ID,
      campaignId: CAMPAIGN_ID,
      prospectId: PROSPECT_ID,
      profileUrl: PROFILE_URL,
      note: 'Hi Amara, I enjoyed your post on real-time payments. Would love to connect.',
      timestamp: '2025-07-14T08:00:00.000Z',
    },
  },
  {
    id: 'linkedin.invitation.accepted',
    name: 'LinkedIn Invitation Accepted',
    description: 'Prospect accepts a connection invitation',
    example: {
      agentId: AGENT_ID,
      campaignId: CAMPAIGN_ID,
      prospectId: PROSPECT_ID,
      profileUrl: PROFILE_URL,
      timestamp: '2025-07-14T16:42:00.000Z',
    },
  },

  // --- Prospect events ----------------------------------------------------
  {
    id: 'prospect.qualified',
    name: 'Prospect Qualified',
    description: 'Triggered when a prospect is marked as qualified',
    example: {
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      prospect: {
        name: 'Amara Okafor',
        title: 'CTO',
        company: 'Lumen Payments',
        linkedinUrl: PROFILE_URL,
      },
      status: 'qualified',
      previousStatus: 'engaged',
      reason: 'Confirmed budget and interest in a demo',
      timestamp: '2025-07-15T11:05:00.000Z',
    },
  },
  {
    id: 'prospect.responded',
    name: 'Prospect Responded',
    description: 'Triggered when a prospect responds to outreach',
    example: {
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      chatId: CHAT_ID,
      message: 'Hi! Yes, happy to chat. Does Thursday afternoon work for you?',
      sentiment: 'positive',
      timestamp: '2025-07-15T10:30:00.000Z',
    },
  },
  {
    id: 'prospect.disqualified',
    name: 'Prospect Disqualified',
    description: 'Triggered when a prospect is marked as disqualified',
    example: {
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      status: 'disqualified',
      previousStatus: 'engaged',
      reason: 'Not the decision maker for this purchase',
      timestamp: '2025-07-15T11:05:00.000Z',
    },
  },
  {
    id: 'prospect.paused',
    name: 'Prospect Paused',
    description: 'Triggered when the conversation with a prospect is paused',
    example: {
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      chatId: CHAT_ID,
      pausedBy: USER_ID,
      reason: 'manual',
      timestamp: '2025-07-15T12:00:00.000Z',
    },
  },
  {
    id: 'prospect.resumed',
    name: 'Prospect Resumed',
    description: 'Triggered when a paused conversation with a prospect is resumed',
    example: {
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      chatId: CHAT_ID,
      resumedBy: USER_ID,
      timestamp: '2025-07-16T09:00:00.000Z',
    },
  },

  // --- Campaign events ----------------------------------------------------
  {
    id: 'campaign.started',
    name: 'Campaign Started',
    description: 'Triggered when a campaign is activated and started',
    example: {
      campaignId: CAMPAIGN_ID,
      name: CAMPAIGN_NAME,
      agentId: AGENT_ID,
      status: 'active',
      previousStatus: 'draft',
      prospectCount: 250,
      startedBy: USER_ID,
      timestamp: '2025-07-01T08:00:00.000Z',
    },
  },
  {
    id: 'campaign.paused',
    name: 'Campaign Paused',
    description: 'Triggered when a campaign is paused',
    example: {
      campaignId: CAMPAIGN_ID,
      name: CAMPAIGN_NAME,
      agentId: AGENT_ID,
      status: 'paused',
      previousStatus: 'active',
      pausedBy: USER_ID,
      timestamp: '2025-07-10T17:30:00.000Z',
    },
  },
  {
    id: 'campaign.resumed',
    name: 'Campaign Resumed',
    description: 'Triggered when a paused campaign is resumed',
    example: {
      campaignId: CAMPAIGN_ID,
      name: CAMPAIGN_NAME,
      agentId: AGENT_ID,
      status: 'active',
      previousStatus: 'paused',
      resumedBy: USER_ID,
      timestamp: '2025-07-11T08:00:00.000Z',
    },
  },
  {
    id: 'campaign.completed',
    name: 'Campaign Completed',
    description: 'Triggered when a campaign reaches completion',
    example: {
      campaignId: CAMPAIGN_ID,
      name: CAMPAIGN_NAME,
      agentId: AGENT_ID,
      status: 'completed',
      previousStatus: 'active',
      stats: {
        prospects: 250,
        contacted: 250,
        connected: 112,
        responded: 41,
        qualified: 12,
      },
      startedAt: '2025-07-01T08:00:00.000Z',
      timestamp: '2025-07-31T18:00:00.000Z',
    },
  },
  {
    id: 'campaign.deleted',
    name: 'Campaign Deleted',
    description: 'Triggered when a campaign is deleted',
    example: {
      campaignId: CAMPAIGN_ID,
      name: CAMPAIGN_NAME,
      deletedBy: USER_ID,
      timestamp: '2025-08-05T09:12:00.000Z',
    },
  },

  // --- Message events -----------------------------------------------------
  {
    id: 'message.sent',
    name: 'Message Sent',
    description: 'Triggered when a message is sent to a prospect',
    example: {
      messageId: 'msg_9b3d6f1a2c',
      chatId: CHAT_ID,
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      channel: 'linkedin',
      content: 'Hi Amara, thanks for connecting! Would you be open to a quick chat about how your team handles payment reconciliation?',
      timestamp: '2025-07-15T10:15:00.000Z',
    },
  },
  {
    id: 'message.failed',
    name: 'Message Failed',
    description: 'Triggered when sending a message to a prospect fails',
    example: {
      messageId: 'msg_4e8a1c7b3f',
      chatId: CHAT_ID,
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      channel: 'linkedin',
      error: {
        code: 'recipient_unavailable',
        message: 'The recipient can no longer receive messages from this account',
      },
      willRetry: false,
      timestamp: '2025-07-15T10:16:00.000Z',
    },
  },
  {
    id: 'message.received',
    name: 'Message Received',
    description: 'Triggered when a response is received from a prospect',
    example: {
      messageId: 'msg_2a7c5e9d1b',
      chatId: CHAT_ID,
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      channel: 'linkedin',
      content: 'Hi! Yes, happy to chat. Does Thursday afternoon work for you?',
      timestamp: '2025-07-15T10:30:00.000Z',
    },
  },
  {
    id: 'message.scheduled',
    name: 'Message Scheduled',
    description: 'Triggered when a message is scheduled for sending',
    example: {
      messageId: 'msg_7d1f3b8e6a',
      chatId: CHAT_ID,
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      channel: 'linkedin',
      content: 'Hi Amara, just following up on my previous note. Is this still a priority for your team?',
      scheduledFor: '2025-07-18T09:00:00.000Z',
      timestamp: '2025-07-15T10:15:00.000Z',
    },
  },

  // --- Connection events --------------------------------------------------
  {
    id: 'connection.sent',
    name: 'Connection Sent',
    description: 'Triggered when a LinkedIn connection request is sent',
    example: {
      connectionId: 'con_5c2e8a4f0b',
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      profileUrl: PROFILE_URL,
      note: 'Hi Amara, I enjoyed your post on real-time payments. Would love to connect.',
      status: 'pending',
      timestamp: '2025-07-14T08:00:00.000Z',
    },
  },
  {
    id: 'connection.accepted',
    name: 'Connection Accepted',
    description: 'Triggered when a LinkedIn connection is accepted',
    example: {
      connectionId: 'con_5c2e8a4f0b',
      prospectId: PROSPECT_ID,
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      profileUrl: PROFILE_URL,
      status: 'accepted',
      sentAt: '2025-07-14T08:00:00.000Z',
      timestamp: '2025-07-14T16:42:00.000Z',
    },
  },
  {
    id: 'connection.rejected',
    name: 'Connection Rejected',
    description: 'Triggered when a LinkedIn connection request is rejected',
    example: {
      connectionId: 'con_8f1b3d6a2e',
      prospectId: 'prs_3b7d1f9c5a',
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      profileUrl: 'https://www.linkedin.com/in/daniel-mensah',
      status: 'rejected',
      sentAt: '2025-07-14T08:05:00.000Z',
      timestamp: '2025-07-15T07:20:00.000Z',
    },
  },
  {
    id: 'connection.withdrawn',
    name: 'Connection Withdrawn',
    description: 'Triggered when a pending LinkedIn connection request is withdrawn',
    example: {
      connectionId: 'con_2d6f9b1e4c',
      prospectId: 'prs_9e4a2c6b8d',
      campaignId: CAMPAIGN_ID,
      agentId: AGENT_ID,
      profileUrl: 'https://www.linkedin.com/in/li-wei-chen',
      status: 'withdrawn',
      reason: 'pending_timeout',
      sentAt: '2025-06-30T08:10:00.000Z',
      timestamp: '2025-07-21T08:10:00.000Z',
    },
  },

  // --- Agent events -------------------------------------------------------
  {
    id: 'agent.status_changed',
    name: 'Agent Status Changed',
    description: "Triggered when an agent's status changes",
    example: {
      agentId: AGENT_ID,
      name: 'Sarah (Sales)',
      status: 'paused',
      previousStatus: 'active',
      reason: 'Paused from the dashboard',
      changedBy: USER_ID,
      timestamp: '2025-07-15T13:00:00.000Z',
    },
  },
  {
    id: 'agent.health_alert',
    name: 'Agent Health Alert',
    description: 'Triggered when an agent health alert is raised',
    example: {
      agentId: AGENT_ID,
      name: 'Sarah (Sales)',
      severity: 'warning',
      alert: 'low_acceptance_rate',
      message: 'Invitation acceptance rate dropped to 8% over the last 7 days',
      metrics: {
        invitationsSent: 150,
        invitationsAccepted: 12,
        acceptanceRate: 0.08,
      },
      timestamp: '2025-07-15T06:00:00.000Z',
    },
  },
  {
    id: 'agent.limits_reached',
    name: 'Agent Limits Reached',
    description: 'Triggered when an agent reaches its daily limits',
    example: {
      agentId: AGENT_ID,
      name: 'Sarah (Sales)',
      limitType: 'daily_invitations',
      limit: 25,
      used: 25,
      resetsAt: '2025-07-16T00:00:00.000Z',
      timestamp: '2025-07-15T14:27:00.000Z',
    },
  },
  {
    id: 'agent.offline',
    name: 'Agent Offline',
    description: 'Triggered when an agent goes offline',
    example: {
      agentId: AGENT_ID,
      name: 'Sarah (Sales)',
      status: 'offline',
      previousStatus: 'active',
      reason: 'linkedin_session_expired',
      lastSeenAt: '2025-07-15T15:58:00.000Z',
      timestamp: '2025-07-15T16:00:00.000Z',
    },
  },
];

const ANALYTICS_CHAT_ID = 'chat_7Hq2Lm9X';
const ANALYTICS_CREATED = '2025-03-04T14:22:05.000Z';

const ANALYTICS: readonly Entry[] = [
  {
    id: 'chat',
    name: 'Chat Created',
    description: 'Triggered when a new chat is created',
    example: {
      chatId: ANALYTICS_CHAT_ID,
      channel: 'web',
      customer: {
        customerId: 'cus_3Kd8Pz1R',
        name: 'Jordan Lee',
        email: 'jordan.lee@example.com',
      },
      assignee: 'Support Bot',
      createdAt: '2025-03-04T14:02:11.000Z',
    },
  },
  {
    id: 'message',
    name: 'Message Created',
    description: 'Triggered when a new message is created',
    example: {
      messageId: 'msg_5Tn1Qa4W',
      chatId: ANALYTICS_CHAT_ID,
      sender: 'customer',
      content: 'I was charged twice for my March subscription. Can you help?',
      createdAt: '2025-03-04T14:02:40.000Z',
    },
  },
  {
    id: 'insight.summary',
    name: 'Summary Insight Generated',
    description: 'Triggered when a summary insight is generated',
    example: {
      insightId: 'ins_sum_9Rb2Vc6E',
      chatId: ANALYTICS_CHAT_ID,
      type: 'summary',
      summary: 'The customer reported a duplicate charge for the March subscription; the agent confirmed the duplicate and issued a refund.',
      createdAt: ANALYTICS_CREATED,
    },
  },
  {
    id: 'insight.topic',
    name: 'Topic Insight Generated',
    description: 'Triggered when a topic insight is generated',
    example: {
      insightId: 'ins_top_4Gx7Kw1N',
      chatId: ANALYTICS_CHAT_ID,
      type: 'topic',
      topics: [
        { name: 'billing', confidence: 0.94 },
        { name: 'refunds', confidence: 0.81 },
      ],
      createdAt: ANALYTICS_CREATED,
    },
  },
  {
    id: 'insight.key',
    name: 'Key Insight Generated',
    description: 'Triggered when a key insight is generated',
    example: {
      insightId: 'ins_key_2Fp8Jd5S',
      chatId: ANALYTICS_CHAT_ID,
      type: 'key',
      keyInsights: [
        'Customer was charged twice for the same billing period',
        'Refund was issued within the conversation',
        'Customer asked for an email confirmation of the refund',
      ],
      createdAt: ANALYTICS_CREATED,
    },
  },
  {
    id: 'insight.conversation',
    name: 'Conversation Insight Generated',
    description: 'Triggered when a conversation insight is generated',
    example: {
      insightId: 'ins_cnv_6Yc3Hm0T',
      chatId: ANALYTICS_CHAT_ID,
      type: 'conversation',
      metrics: {
        messageCount: 14,
        durationSeconds: 1164,
        firstResponseSeconds: 18,
        resolved: true,
      },
      createdAt: ANALYTICS_CREATED,
    },
  },
  {
    id: 'insight.sentiment',
    name: 'Sentiment Insight Generated',
    description: 'Triggered when a sentiment insight is generated',
    example: {
      insightId: 'ins_snt_1Vq5Bx8L',
      chatId: ANALYTICS_CHAT_ID,
      type: 'sentiment',
      sentiment: 'positive',
      score: 0.72,
      trend: 'improving',
      createdAt: ANALYTICS_CREATED,
    },
  },
];

// Values taken from the voice seed's `call.ended` payload, so the examples describe one call.
const CALL_ID = 'call_xyz789';
const FROM_NUMBER = '+2348012345678';
const TO_NUMBER = '+14155551234';

const VOICE: readonly Entry[] = [
  {
    id: 'call.started',
    name: 'Call Started',
    description: 'Call connected',
    example: {
      call_id: CALL_ID,
      from_number: FROM_NUMBER,
      to_number: TO_NUMBER,
      direction: 'outbound',
      status: 'in_progress',
      started_at: '2025-01-12T10:27:00Z',
    },
  },
  {
    id: 'call.ended',
    name: 'Call Ended',
    description: 'Call ended',
    example: {
      call_id: CALL_ID,
      from_number: FROM_NUMBER,
      to_number: TO_NUMBER,
      direction: 'outbound',
      duration: 180,
      cost_cents: 12,
      status: 'completed',
    },
  },
  {
    id: 'call.failed',
    name: 'Call Failed',
    description: 'Call failed to connect',
    example: {
      call_id: 'call_abc456',
      from_number: FROM_NUMBER,
      to_number: '+14155559876',
      direction: 'outbound',
      status: 'failed',
      failure_reason: 'no_answer',
      duration: 0,
      cost_cents: 0,
    },
  },
  {
    id: 'call.recording.completed',
    name: 'Call Recording Completed',
    description: 'Recording available',
    example: {
      call_id: CALL_ID,
      recording_id: 'rec_lmn321',
      recording_url: 'https://recordings.example.com/rec_lmn321.mp3',
      format: 'mp3',
      duration: 180,
    },
  },
  {
    id: 'transcription.completed',
    name: 'Transcription Completed',
    description: 'Transcript ready',
    example: {
      call_id: CALL_ID,
      transcription_id: 'trn_qrs654',
      language: 'en',
      duration: 180,
      text: 'Hello, this is Ada from KrosAI calling about your appointment tomorrow. Yes, I can confirm ten o\u2019clock works.',
      segments: [
        { speaker: 'agent', start: 0.4, end: 5.1, text: 'Hello, this is Ada from KrosAI calling about your appointment tomorrow.' },
        { speaker: 'customer', start: 5.8, end: 8.2, text: 'Yes, I can confirm ten o\u2019clock works.' },
      ],
    },
  },
];

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function definePreset(preset: PresetName, entries: readonly Entry[]): EventTypeDefinition[] {
  return entries.map((e) => ({
    id: e.id,
    name: e.name,
    description: e.description,
    category: eventTypeCategory(e.id),
    preset,
    example: e.example,
  }));
}

/** Every built-in event type, all presets, in catalog order (outreach, analytics, voice). */
export const BUILT_IN_EVENT_TYPES: readonly EventTypeDefinition[] = deepFreeze([
  ...definePreset('outreach', OUTREACH),
  ...definePreset('analytics', ANALYTICS),
  ...definePreset('voice', VOICE),
]);

/** The built-in event types of the given presets, in catalog order. */
export function builtInEventTypes(presets: readonly PresetName[]): EventTypeDefinition[] {
  const wanted = new Set<string>(presets);
  return BUILT_IN_EVENT_TYPES.filter((t) => wanted.has(t.preset));
}

/** Looks up a built-in event type by id (any preset). */
export function findBuiltInEventType(id: string): EventTypeDefinition | undefined {
  return BUILT_IN_EVENT_TYPES.find((t) => t.id === id);
}

function isPresetName(value: string): value is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(value);
}

/**
 * Parses a comma-separated preset list (e.g. an environment variable).
 *
 * - `undefined`, empty/blank, or `all` (anywhere in the list) → every preset
 *   (other names in the list are still validated).
 * - Names are trimmed and case-insensitive; empty items are ignored; duplicates are
 *   dropped; the order of first appearance is kept.
 * - An unknown name throws an `Error` naming it.
 */
export function parsePresetList(value: string | undefined): PresetName[] {
  if (value === undefined) return [...PRESET_NAMES];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) return [...PRESET_NAMES];
  const result: PresetName[] = [];
  let all = false;
  for (const item of items) {
    const key = item.toLowerCase();
    if (key === 'all') {
      all = true;
      continue;
    }
    if (!isPresetName(key)) {
      throw new Error(
        `Unknown event catalog preset "${item}" (expected a comma-separated list of ${PRESET_NAMES.join(', ')}, or "all")`,
      );
    }
    if (!result.includes(key)) result.push(key);
  }
  return all ? [...PRESET_NAMES] : result;
}
