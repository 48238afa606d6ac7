#pragma once
// Poco's HTTPServerConnection without a poll() per request.
//
// Poco waits for every keep-alive request with Socket::poll, which on Linux creates, waits on
// and closes an epoll instance: four system calls per request, about a quarter of those a
// call check makes. A KeepAliveConnection instead blocks in recv() with SO_RCVTIMEO set to
// the keep-alive timeout. It also bounds reads inside a request by the same timeout, which
// Poco 1.11's server session does not (a client that stops halfway through its headers would
// otherwise hold a thread for ever). Per request it does what HTTPServerConnection does.

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>

namespace callwarden::server {

class KeepAliveConnection;

/// Makes the connections of one server and stops them (what HTTPServer::stopAll does).
class KeepAliveConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  KeepAliveConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                             Poco::Net::HTTPRequestHandlerFactory::Ptr handlers)
      : params_(std::move(params)), handlers_(std::move(handlers)) {}

  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override;

  /// Lets each connection finish the request it is answering, closes the rest, and waits up
  /// to `grace` for all of them to end. New connections close at once.
  void stopAll(std::chrono::milliseconds grace);

 private:
  friend class KeepAliveConnection;
  bool enter(KeepAliveConnection* c);  // false once stopped
  void leave(KeepAliveConnection* c);

  Poco::Net::HTTPServerParams::Ptr params_;
  Poco::Net::HTTPRequestHandlerFactory::Ptr handlers_;
  std::mutex mu_;
  std::condition_variable all_left_;
  std::set<KeepAliveConnection*> live_;  // guarded by mu_
  bool stopped_ = false;                 // guarded by mu_
};

class KeepAliveConnection final : public Poco::Net::TCPServerConnection {
 public:
  KeepAliveConnection(const Poco::Net::StreamSocket& socket, KeepAliveConnectionFactory& factory);
  void run() override;
  /// Called by the factory: ends the connection once its current request is answered.
  void stop();

 private:
  void serve();
  /// Reads, handles and answers one request; true if the connection stays open.
  bool answer(Poco::Net::HTTPServerSession& session);
  KeepAliveConnectionFactory& factory_;
  std::mutex request_mu_;  // held while a request is read, handled and answered
  bool stopped_ = false;   // guarded by request_mu_
};

}  // namespace callwarden::server
