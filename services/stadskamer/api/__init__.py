"""Generated gRPC and protobuf code for the Stadskamer contracts. Do not edit."""
