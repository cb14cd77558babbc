//===- ChoiceParser.h - Enum flags whose errors list the choices -*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// llvm::cl::parser for enum options rejects a typo with "Cannot find option
// named 'x'!"; a user needs the valid spellings. Tools declare their enum
// flags as cl::opt<T, false, ChoiceParser<T>> with cl::values(...).
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_SUPPORT_CHOICEPARSER_H
#define TANDEM_SUPPORT_CHOICEPARSER_H

#include "llvm/Support/CommandLine.h"

namespace tandem {

template <typename T> class ChoiceParser : public llvm::cl::parser<T> {
public:
  using llvm::cl::parser<T>::parser;

  bool parse(llvm::cl::Option &option, llvm::StringRef name,
             llvm::StringRef arg, T &value) {
    std::string choices;
    for (const auto &choice : this->Values) {
      if (choice.Name == arg) {
        value = choice.V.getValue();
        return false;
      }
      choices += (choices.empty() ? "" : ", ") + choice.Name.str();
    }
    return option.error("'" + arg + "' is not one of " + choices);
  }
};

} // namespace tandem

#endif // TANDEM_SUPPORT_CHOICEPARSER_H
