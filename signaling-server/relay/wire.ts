// STUN/TURN wire constants the relay reads or writes itself (node-turn parses the rest), in one place.

/** REQUESTED-TRANSPORT / transport protocol numbers (RFC 5766 §14.7: IANA protocol numbers). */
export const PROTOCOL_UDP = 0x11;
export const PROTOCOL_TCP = 0x06;
/** Every STUN message starts with a 20-byte header (RFC 5389 §6). */
export const STUN_HEADER_BYTES = 20;
/** ChannelData: channel number u16 + length u16, then the data (RFC 5766 §11.4). */
export const CHANNEL_HEADER_BYTES = 4;
/** The channel numbers a client may bind (RFC 5766 §11). */
export const FIRST_CHANNEL = 0x4000;
export const LAST_CHANNEL = 0x7ffe;
/** A Data indication: class and method of the message that carries a peer's datagram to the client (RFC 5766 §10.3). */
export const CLASS_INDICATION = 0x01;
export const METHOD_DATA = 0x007;
