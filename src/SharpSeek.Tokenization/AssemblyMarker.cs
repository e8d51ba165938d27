namespace SharpSeek.Tokenization;
