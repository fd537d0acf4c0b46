// The MUC room manager (XEP-0045) with Jitsi's semantics.
